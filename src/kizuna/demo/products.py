"""The demo shop's catalogue: about 300 products in Japanese categories, drawn from word lists.

A 絆 (kizuna) coffee-and-tea shop that also sells sweets, tableware, goods, skincare and
supplements. Prices are tax-included yen (¥1,980 style); a few products launched during the
simulated window, and some are out of stock or discontinued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import product

import numpy as np

from kizuna.catalog.schemas import ProductIn


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    prefix: str
    share: float
    count: int
    low: int
    high: int
    brands: tuple[tuple[str, str], ...]
    parts: tuple[tuple[str, ...], ...]
    subscribable: bool = False


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("coffee", "コーヒー豆", "COF", 0.22, 45, 1200, 3800,
                 (("kizuna-roast", "絆珈琲焙煎所"), ("yamabiko", "やまびこ珈琲"),
                  ("blue-harbor", "ブルーハーバー")),
                 (("エチオピア イルガチェフェ", "グアテマラ アンティグア", "コロンビア スプレモ",
                   "ブラジル サントス", "ケニア AA", "タンザニア キリマンジャロ",
                   "インドネシア マンデリン", "コスタリカ", "ルワンダ", "ハウスブレンド",
                   "モカブレンド", "季節のブレンド", "デカフェ ブレンド"),
                  ("浅煎り", "中煎り", "中深煎り", "深煎り"), ("200g", "500g")), True),
    CategorySpec("tea", "紅茶", "TEA", 0.10, 30, 800, 3000,
                 (("hanatsumi", "花摘み紅茶店"), ("london-leaf", "ロンドンリーフ")),
                 (("ダージリン ファーストフラッシュ", "ダージリン セカンドフラッシュ", "アッサム",
                   "ウバ", "ニルギリ", "アールグレイ", "イングリッシュブレックファスト", "キームン",
                   "ルイボス", "和紅茶 べにふうき", "チャイ ブレンド", "白桃フレーバー"),
                  ("茶葉 50g", "茶葉 100g", "ティーバッグ 20袋")), True),
    CategorySpec("nihoncha", "日本茶", "JTE", 0.08, 25, 700, 3500,
                 (("chasen", "茶筅園"), ("uji-kaze", "宇治の風")),
                 (("静岡 深蒸し煎茶", "宇治 玉露", "八女 煎茶", "ほうじ茶", "玄米茶", "抹茶",
                   "和束 かぶせ茶", "知覧茶", "狭山茶", "水出し煎茶"),
                  ("80g", "100g", "ティーバッグ 15袋")), True),
    CategorySpec("sweets", "菓子", "SWT", 0.14, 35, 500, 4000,
                 (("tsumugi", "菓子屋つむぎ"), ("petit-four", "プティフール"),
                  ("kotobuki", "和菓子 寿")),
                 (("焼き菓子詰め合わせ", "バウムクーヘン", "フィナンシェ", "マドレーヌ", "どら焼き",
                   "羊羹", "最中", "チョコレートアソート", "クッキー缶", "カステラ", "抹茶サブレ",
                   "ラスク"), ("6個入", "12個入", "18個入"))),
    CategorySpec("tableware", "食器", "TBL", 0.06, 30, 1500, 8000,
                 (("hasami", "波佐見焼 工房"), ("mino", "美濃 窯元"), ("arita", "有田焼 陶房")),
                 (("マグカップ", "カップ&ソーサー", "湯呑み", "急須", "取り皿", "平皿 24cm",
                   "ティーポット", "陶器ドリッパー", "飯碗", "小鉢"),
                  ("白磁", "藍", "飴釉", "灰釉", "織部"))),
    CategorySpec("gear", "コーヒー器具", "GEA", 0.05, 20, 1000, 15000,
                 (("tsubame-tools", "燕ツールズ"), ("drip-lab", "ドリップラボ")),
                 (("手挽きコーヒーミル", "電動コーヒーミル", "ドリップケトル",
                   "ペーパーフィルター 100枚", "コーヒーサーバー 600ml", "ドリッパー",
                   "キャニスター", "コーヒースケール", "フレンチプレス", "水出しコーヒーボトル"),
                  ("ブラック", "シルバー", "ホワイト"))),
    CategorySpec("goods", "雑貨", "GDS", 0.06, 25, 500, 5000,
                 (("kurashi", "くらしの手"), ("fukufuku", "ふくふく")),
                 (("手ぬぐい", "風呂敷", "エコバッグ", "コースター 4枚組", "ランチョンマット",
                   "アロマキャンドル", "ハンドタオル", "ブックカバー", "がま口ポーチ",
                   "トートバッグ", "箸置き 5個組", "お香"), ("桜", "青海波", "麻の葉", "市松"))),
    CategorySpec("skincare", "スキンケア", "SKN", 0.11, 30, 1800, 9800,
                 (("hadamizu", "肌みず"), ("botanica", "ボタニカ ジャパン"),
                  ("yuzu-lab", "柚子ラボ")),
                 (("化粧水", "乳液", "美容液", "クレンジングオイル", "洗顔フォーム", "保湿クリーム",
                   "ハンドクリーム", "リップバーム", "日焼け止め", "シートマスク 7枚"),
                  ("しっとり", "さっぱり", "敏感肌用", "エイジングケア")), True),
    CategorySpec("supplements", "サプリメント", "SUP", 0.08, 25, 1500, 6000,
                 (("genki-lab", "げんきラボ"), ("hikari", "ひかりヘルス")),
                 (("マルチビタミン", "ビタミンC", "ビタミンD", "乳酸菌", "青汁", "コラーゲン",
                   "DHA・EPA", "鉄分", "プロテイン", "グルコサミン", "黒酢カプセル"),
                  ("30日分", "90日分")), True),
    CategorySpec("gift", "ギフトセット", "GFT", 0.06, 20, 2500, 10000,
                 (("kizuna-gift", "絆ギフト"),),
                 (("珈琲ギフト", "紅茶ギフト", "日本茶ギフト", "焼き菓子ギフト",
                   "コーヒー&焼き菓子ギフト", "お歳暮セット", "お中元セット", "内祝いセット"),
                  ("S", "M", "L"))),
    CategorySpec("food", "食品", "FOD", 0.04, 15, 500, 3000,
                 (("umami", "うまみ食堂"), ("hokkaido-farm", "北海道ファーム")),
                 (("はちみつ", "いちごジャム", "ブルーベリージャム", "グラノーラ", "ドライフルーツ",
                   "ナッツミックス", "出汁パック", "ふりかけ", "オリーブオイル", "梅干し"),
                  ("小", "大"))),
)  # fmt: skip

GIFT_CATEGORY = next(i for i, c in enumerate(CATEGORIES) if c.code == "gift")
STOCK = (("in_stock", 0.80), ("low_stock", 0.08), ("out_of_stock", 0.07), ("discontinued", 0.05))


@dataclass(frozen=True)
class Catalogue:
    """The products plus the arrays the order generator draws from."""

    items: tuple[ProductIn, ...]
    skus: tuple[str, ...]
    names: tuple[str, ...]
    category: np.ndarray
    price: np.ndarray
    launch_day: np.ndarray
    by_category: tuple[np.ndarray, ...]
    cdf_by_category: tuple[np.ndarray, ...]
    subscribable: np.ndarray


def make_catalogue(rng: np.random.Generator, first_day: date) -> Catalogue:
    """About 300 products; ``launch_day`` is relative to ``first_day`` (negative: before it)."""
    items: list[ProductIn] = []
    category, launch = [], []
    for index, spec in enumerate(CATEGORIES):
        combos = list(product(*spec.parts))
        picks = rng.choice(len(combos), size=min(spec.count, len(combos)), replace=False)
        for n, pick in enumerate(sorted(picks.tolist()), start=1):
            day = _launch_day(rng)
            brand_code, brand_name = spec.brands[int(rng.integers(len(spec.brands)))]
            items.append(ProductIn(
                sku=f"{spec.prefix}-{n:04d}", name=" ".join(combos[pick]),
                category_code=spec.code, category_name=spec.name, brand_code=brand_code,
                brand_name=brand_name, price=_price(rng, spec), currency="JPY",
                launch_date=first_day + timedelta(days=day), stock_status=_stock(rng),
            ))  # fmt: skip
            category.append(index)
            launch.append(day)
    return _index(items, np.array(category), np.array(launch), rng)


def _index(
    items: list[ProductIn], category: np.ndarray, launch: np.ndarray, rng: np.random.Generator
) -> Catalogue:
    by_category = tuple(np.flatnonzero(category == i) for i in range(len(CATEGORIES)))
    cdfs = []
    for members in by_category:
        weights = 1.0 / (rng.permutation(len(members)) + 1.0)  # a few bestsellers per category
        cdfs.append(np.cumsum(weights) / weights.sum())
    subscribable = np.array([spec.subscribable for spec in CATEGORIES])
    return Catalogue(
        items=tuple(items), skus=tuple(i.sku for i in items), names=tuple(i.name for i in items),
        category=category, price=np.array([i.price for i in items]), launch_day=launch,
        by_category=by_category, cdf_by_category=tuple(cdfs), subscribable=subscribable,
    )  # fmt: skip


def _launch_day(rng: np.random.Generator) -> int:
    if rng.random() < 0.15:
        return int(rng.integers(30, 700))
    return -int(rng.integers(1, 1500))


def _price(rng: np.random.Generator, spec: CategorySpec) -> int:
    raw = np.exp(rng.uniform(np.log(spec.low), np.log(spec.high)))
    hundreds = max(round(float(raw) / 100), 3) * 100
    return hundreds - 20 if rng.random() < 0.5 else hundreds


def _stock(rng: np.random.Generator) -> str:
    u, acc = rng.random(), 0.0
    for status, share in STOCK:
        acc += share
        if u < acc:
            return status
    return STOCK[0][0]


def category_shares() -> np.ndarray:
    """How popular each category is across the shop (sums to 1)."""
    shares = np.array([spec.share for spec in CATEGORIES])
    return shares / shares.sum()
