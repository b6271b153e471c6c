"""Common Japanese family and given names with their katakana readings and romaji, as data.

Family names are in rough order of frequency (the weight falls with the rank). Each given name
carries the generation in which it was popular (``o`` born before 1970, ``m`` 1970-1994,
``y`` 1995 on) so that a customer's name fits their birth year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_FAMILY = """
佐藤:サトウ:sato 鈴木:スズキ:suzuki 高橋:タカハシ:takahashi 田中:タナカ:tanaka 伊藤:イトウ:ito
渡辺:ワタナベ:watanabe 山本:ヤマモト:yamamoto 中村:ナカムラ:nakamura 小林:コバヤシ:kobayashi
加藤:カトウ:kato 吉田:ヨシダ:yoshida 山田:ヤマダ:yamada 佐々木:ササキ:sasaki
山口:ヤマグチ:yamaguchi 松本:マツモト:matsumoto 井上:イノウエ:inoue 木村:キムラ:kimura
林:ハヤシ:hayashi 斎藤:サイトウ:saito 清水:シミズ:shimizu 山崎:ヤマザキ:yamazaki 森:モリ:mori
池田:イケダ:ikeda 橋本:ハシモト:hashimoto 阿部:アベ:abe 石川:イシカワ:ishikawa
山下:ヤマシタ:yamashita 中島:ナカジマ:nakajima 石井:イシイ:ishii 小川:オガワ:ogawa
前田:マエダ:maeda 岡田:オカダ:okada 長谷川:ハセガワ:hasegawa 藤田:フジタ:fujita 後藤:ゴトウ:goto
近藤:コンドウ:kondo 村上:ムラカミ:murakami 遠藤:エンドウ:endo 青木:アオキ:aoki
坂本:サカモト:sakamoto 斉藤:サイトウ:saito 福田:フクダ:fukuda 太田:オオタ:ota
西村:ニシムラ:nishimura 藤井:フジイ:fujii 金子:カネコ:kaneko 岡本:オカモト:okamoto
藤原:フジワラ:fujiwara 中野:ナカノ:nakano 三浦:ミウラ:miura 原田:ハラダ:harada
中川:ナカガワ:nakagawa 松田:マツダ:matsuda 竹内:タケウチ:takeuchi 小野:オノ:ono
田村:タムラ:tamura 中山:ナカヤマ:nakayama 和田:ワダ:wada 石田:イシダ:ishida 森田:モリタ:morita
上田:ウエダ:ueda 原:ハラ:hara 内田:ウチダ:uchida 柴田:シバタ:shibata 酒井:サカイ:sakai
宮崎:ミヤザキ:miyazaki 横山:ヨコヤマ:yokoyama 高木:タカギ:takagi 安藤:アンドウ:ando
宮本:ミヤモト:miyamoto 大野:オオノ:ono 小島:コジマ:kojima 谷口:タニグチ:taniguchi
今井:イマイ:imai 工藤:クドウ:kudo 高田:タカダ:takada 増田:マスダ:masuda 丸山:マルヤマ:maruyama
杉山:スギヤマ:sugiyama 村田:ムラタ:murata 大塚:オオツカ:otsuka 新井:アライ:arai
小山:コヤマ:koyama 平野:ヒラノ:hirano 藤本:フジモト:fujimoto 河野:コウノ:kono 上野:ウエノ:ueno
野口:ノグチ:noguchi 武田:タケダ:takeda 松井:マツイ:matsui 千葉:チバ:chiba 岩崎:イワサキ:iwasaki
菅原:スガワラ:sugawara 木下:キノシタ:kinoshita 久保:クボ:kubo 佐野:サノ:sano 野村:ノムラ:nomura
松尾:マツオ:matsuo 市川:イチカワ:ichikawa 菊地:キクチ:kikuchi 杉本:スギモト:sugimoto
古川:フルカワ:furukawa 大西:オオニシ:onishi 島田:シマダ:shimada 水野:ミズノ:mizuno
桜井:サクライ:sakurai 高野:タカノ:takano 渡部:ワタナベ:watanabe 吉川:ヨシカワ:yoshikawa
山内:ヤマウチ:yamauchi 西田:ニシダ:nishida 飯田:イイダ:iida 菊池:キクチ:kikuchi
西川:ニシカワ:nishikawa 小松:コマツ:komatsu 北村:キタムラ:kitamura 安田:ヤスダ:yasuda
五十嵐:イガラシ:igarashi 川口:カワグチ:kawaguchi 平田:ヒラタ:hirata 関:セキ:seki
中田:ナカタ:nakata 久保田:クボタ:kubota 服部:ハットリ:hattori 東:アズマ:azuma 岩田:イワタ:iwata
土屋:ツチヤ:tsuchiya 川崎:カワサキ:kawasaki 福島:フクシマ:fukushima 本田:ホンダ:honda
辻:ツジ:tsuji 樋口:ヒグチ:higuchi 秋山:アキヤマ:akiyama 田口:タグチ:taguchi 永井:ナガイ:nagai
山中:ヤマナカ:yamanaka 中西:ナカニシ:nakanishi 吉村:ヨシムラ:yoshimura 川上:カワカミ:kawakami
石原:イシハラ:ishihara 大橋:オオハシ:ohashi 松岡:マツオカ:matsuoka 馬場:ババ:baba
浜田:ハマダ:hamada 森本:モリモト:morimoto 矢野:ヤノ:yano 浅野:アサノ:asano
松下:マツシタ:matsushita 星野:ホシノ:hoshino 大久保:オオクボ:okubo 吉岡:ヨシオカ:yoshioka
小池:コイケ:koike 野田:ノダ:noda 荒井:アライ:arai 大石:オオイシ:oishi 鎌田:カマタ:kamata
荒木:アラキ:araki 篠原:シノハラ:shinohara 大谷:オオタニ:otani 西山:ニシヤマ:nishiyama
内藤:ナイトウ:naito 松村:マツムラ:matsumura 尾崎:オザキ:ozaki 熊谷:クマガイ:kumagai
須藤:スドウ:sudo 杉浦:スギウラ:sugiura 大川:オオカワ:okawa 片山:カタヤマ:katayama
今村:イマムラ:imamura 河合:カワイ:kawai 菅野:スガノ:sugano 望月:モチヅキ:mochizuki
青山:アオヤマ:aoyama 小西:コニシ:konishi 岡崎:オカザキ:okazaki 成田:ナリタ:narita
富田:トミタ:tomita 田辺:タナベ:tanabe 桑原:クワハラ:kuwabara 中尾:ナカオ:nakao
早川:ハヤカワ:hayakawa 奥村:オクムラ:okumura 石橋:イシバシ:ishibashi 小田:オダ:oda
三上:ミカミ:mikami 宮田:ミヤタ:miyata 南:ミナミ:minami 堀:ホリ:hori 小澤:オザワ:ozawa
八木:ヤギ:yagi 白石:シライシ:shiraishi 松浦:マツウラ:matsuura 川村:カワムラ:kawamura
宮下:ミヤシタ:miyashita 堤:ツツミ:tsutsumi 沢田:サワダ:sawada 吉野:ヨシノ:yoshino
岡村:オカムラ:okamura 広瀬:ヒロセ:hirose 上原:ウエハラ:uehara 比嘉:ヒガ:higa
金城:キンジョウ:kinjo 大城:オオシロ:oshiro 佐久間:サクマ:sakuma
"""

_FEMALE = """
和子:カズコ:kazuko:o 幸子:サチコ:sachiko:o 節子:セツコ:setsuko:o 洋子:ヨウコ:yoko:o
恵子:ケイコ:keiko:o 京子:キョウコ:kyoko:o 弘子:ヒロコ:hiroko:o 順子:ジュンコ:junko:o
悦子:エツコ:etsuko:o 雅子:マサコ:masako:o 美智子:ミチコ:michiko:o 良子:ヨシコ:yoshiko:o
文子:フミコ:fumiko:o 花子:ハナコ:hanako:o 郁子:イクコ:ikuko:o 典子:ノリコ:noriko:o
紀子:ノリコ:noriko:o 晴美:ハルミ:harumi:o 佳子:ヨシコ:yoshiko:o 明美:アケミ:akemi:o
陽子:ヨウコ:yoko:m 智子:トモコ:tomoko:m 裕子:ユウコ:yuko:m 久美子:クミコ:kumiko:m
直美:ナオミ:naomi:m 由美子:ユミコ:yumiko:m 純子:ジュンコ:junko:m 真由美:マユミ:mayumi:m
美穂:ミホ:miho:m 恵美:エミ:emi:m 亜希子:アキコ:akiko:m 理恵:リエ:rie:m 麻美:アサミ:asami:m
美香:ミカ:mika:m 友美:トモミ:tomomi:m 由紀:ユキ:yuki:m 愛子:アイコ:aiko:m 優子:ユウコ:yuko:m
真理子:マリコ:mariko:m 千恵:チエ:chie:m 美紀:ミキ:miki:m 早苗:サナエ:sanae:m
里美:サトミ:satomi:m 恵理:エリ:eri:m 加奈子:カナコ:kanako:m 美保:ミホ:miho:m
静香:シズカ:shizuka:m 沙織:サオリ:saori:m 香織:カオリ:kaori:m 由佳:ユカ:yuka:m
瞳:ヒトミ:hitomi:m 綾:アヤ:aya:m 真希:マキ:maki:m 亜美:アミ:ami:m 奈緒:ナオ:nao:m
麻衣:マイ:mai:y 愛:アイ:ai:y 彩:アヤ:aya:y 舞:マイ:mai:y 美咲:ミサキ:misaki:y 陽菜:ヒナ:hina:y
結衣:ユイ:yui:y 葵:アオイ:aoi:y 凛:リン:rin:y 芽依:メイ:mei:y 結菜:ユイナ:yuina:y
さくら:サクラ:sakura:y 美月:ミツキ:mitsuki:y 七海:ナナミ:nanami:y 優花:ユウカ:yuka:y
彩花:アヤカ:ayaka:y 真央:マオ:mao:y 千尋:チヒロ:chihiro:y 菜々子:ナナコ:nanako:y
桃子:モモコ:momoko:y 明日香:アスカ:asuka:y 遥:ハルカ:haruka:y 美優:ミユ:miyu:y
さやか:サヤカ:sayaka:y 詩織:シオリ:shiori:y 茜:アカネ:akane:y 楓:カエデ:kaede:y 杏:アン:an:y
紗希:サキ:saki:y 夏美:ナツミ:natsumi:y 春香:ハルカ:haruka:y 千夏:チナツ:chinatsu:y 萌:モエ:moe:y
莉子:リコ:riko:y 紬:ツムギ:tsumugi:y 澪:ミオ:mio:y 心春:コハル:koharu:y 朱里:アカリ:akari:y
日向:ヒナタ:hinata:y 陽葵:ヒマリ:himari:y
"""

_MALE = """
清:キヨシ:kiyoshi:o 茂:シゲル:shigeru:o 勝:マサル:masaru:o 進:ススム:susumu:o 豊:ユタカ:yutaka:o
稔:ミノル:minoru:o 勉:ツトム:tsutomu:o 武:タケシ:takeshi:o 昭:アキラ:akira:o
敏夫:トシオ:toshio:o 幸男:ユキオ:yukio:o 義男:ヨシオ:yoshio:o 正:タダシ:tadashi:o
弘:ヒロシ:hiroshi:o 孝:タカシ:takashi:o 博:ヒロシ:hiroshi:o 修:オサム:osamu:o 実:ミノル:minoru:o
一郎:イチロウ:ichiro:o 明:アキラ:akira:o 誠:マコト:makoto:m 浩:ヒロシ:hiroshi:m
隆:タカシ:takashi:m 健一:ケンイチ:kenichi:m 直樹:ナオキ:naoki:m 和也:カズヤ:kazuya:m
達也:タツヤ:tatsuya:m 哲也:テツヤ:tetsuya:m 秀樹:ヒデキ:hideki:m 剛:ツヨシ:tsuyoshi:m
大輔:ダイスケ:daisuke:m 拓也:タクヤ:takuya:m 浩二:コウジ:koji:m 雄一:ユウイチ:yuichi:m
正人:マサト:masato:m 太郎:タロウ:taro:m 聡:サトシ:satoshi:m 学:マナブ:manabu:m
亮介:リョウスケ:ryosuke:m 慎一:シンイチ:shinichi:m 和彦:カズヒコ:kazuhiko:m
俊介:シュンスケ:shunsuke:m 智也:トモヤ:tomoya:m 康弘:ヤスヒロ:yasuhiro:m 英樹:ヒデキ:hideki:m
真一:シンイチ:shinichi:m 洋平:ヨウヘイ:yohei:m 健二:ケンジ:kenji:m 賢治:ケンジ:kenji:m
正樹:マサキ:masaki:m 直人:ナオト:naoto:m 徹:トオル:toru:m 淳:ジュン:jun:m 圭:ケイ:kei:m
悟:サトル:satoru:m 健太:ケンタ:kenta:m 翔太:ショウタ:shota:y 裕太:ユウタ:yuta:y
将太:ショウタ:shota:y 亮:リョウ:ryo:y 翔:ショウ:sho:y 勇気:ユウキ:yuki:y 拓海:タクミ:takumi:y
涼:リョウ:ryo:y 駿:シュン:shun:y 大樹:ダイキ:daiki:y 航:ワタル:wataru:y 悠人:ユウト:yuto:y
優斗:ユウト:yuto:y 陽太:ヨウタ:yota:y 海斗:カイト:kaito:y 一輝:カズキ:kazuki:y
光:ヒカル:hikaru:y 健:ケン:ken:y 蓮:レン:ren:y 陽翔:ハルト:haruto:y 湊:ミナト:minato:y
悠真:ユウマ:yuma:y 大翔:ヒロト:hiroto:y 樹:イツキ:itsuki:y 悠斗:ユウト:yuto:y 颯太:ソウタ:sota:y
陸:リク:riku:y 蒼:アオイ:aoi:y 大和:ヤマト:yamato:y 朔:サク:saku:y 律:リツ:ritsu:y
碧:アオイ:aoi:y 新:アラタ:arata:y 晴:ハル:haru:y 颯:ハヤテ:hayate:y 奏太:ソウタ:sota:y
結翔:ユイト:yuito:y 蒼真:ソウマ:soma:y
"""

ERAS = ("o", "m", "y")


@dataclass(frozen=True)
class NameTable:
    """Names with readings, romaji and the probability of drawing each."""

    kanji: tuple[str, ...]
    kana: tuple[str, ...]
    romaji: tuple[str, ...]
    era: tuple[str, ...]
    cdf: np.ndarray

    def draw(self, u: np.ndarray) -> np.ndarray:
        """Indices into the table for uniform draws ``u``."""
        return np.minimum(np.searchsorted(self.cdf, u, side="right"), len(self.kanji) - 1)


def _parse(text: str) -> list[list[str]]:
    return [entry.split(":") for entry in text.split()]


def _table(rows: list[list[str]], weights: np.ndarray) -> NameTable:
    kanji, kana, romaji = (tuple(row[i] for row in rows) for i in range(3))
    era = tuple(row[3] if len(row) > 3 else "" for row in rows)
    return NameTable(kanji, kana, romaji, era, np.cumsum(weights) / weights.sum())


def family_names() -> NameTable:
    """Family names (姓), weighted by a Zipf-like curve over their frequency rank."""
    rows = _parse(_FAMILY)
    return _table(rows, 1.0 / (np.arange(len(rows)) + 8.0) ** 0.9)


def given_names(gender: str, era: str) -> NameTable:
    """Given names (名) for ``female`` or ``male`` popular in ``era``, with a little spill-over."""
    rows = _parse(_FEMALE if gender == "female" else _MALE)
    weights = np.array([1.0 if row[3] == era else 0.08 for row in rows])
    return _table(rows, weights)
