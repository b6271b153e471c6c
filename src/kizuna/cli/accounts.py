"""Commands for users, API keys and customer records (merge, privacy, problem flag)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kizuna.cli.common import JsonFlag, customers_app, emit, keys_app, open_sessions, users_app
from kizuna.kit.db import session_scope


@users_app.command("create")
def users_create(
    email: str,
    role: Annotated[str, typer.Option(help="admin, marketer or support")] = "marketer",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a dashboard user."""
    from kizuna.accounts.service import do_create_user

    with session_scope(open_sessions()) as session:
        user = do_create_user(session, email, password, role)
        data = {"id": user.id, "email": user.email, "role": user.role}
    emit(data, as_json, f"created {user.email} ({user.role})")


@keys_app.command("create")
def keys_create(
    name: str,
    scope: Annotated[list[str], typer.Option(help="Repeat for several scopes")],
    as_json: JsonFlag = False,
) -> None:
    """Create an API key; prints its secret once."""
    from kizuna.accounts.service import do_create_api_key

    with session_scope(open_sessions()) as session:
        key, secret = do_create_api_key(session, name, scope)
        data = {"prefix": key.prefix, "name": key.name, "scopes": key.scopes, "secret": secret}
    emit(
        data, as_json, f"{secret}\n(keep it now: kizuna stores only its hash; prefix {key.prefix})"
    )


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """List API keys (never their secrets)."""
    from kizuna.accounts.service import list_api_keys

    with session_scope(open_sessions()) as session:
        data: list[dict[str, Any]] = [
            {
                "prefix": k.prefix,
                "name": k.name,
                "scopes": k.scopes,
                "created_at": k.created_at,
                "revoked_at": k.revoked_at,
            }
            for k in list_api_keys(session)
        ]
    text = "\n".join(
        f"{k['prefix']}  {k['name']}  {','.join(k['scopes'])}"
        f"{'  REVOKED' if k['revoked_at'] else ''}"
        for k in data
    )
    emit(data, as_json, text or "no API keys")


@keys_app.command("revoke")
def keys_revoke(prefix: str, as_json: JsonFlag = False) -> None:
    """Revoke an API key by its prefix."""
    from kizuna.accounts.service import do_revoke_api_key

    with session_scope(open_sessions()) as session:
        key = do_revoke_api_key(session, prefix)
        data = {"prefix": key.prefix, "revoked_at": key.revoked_at}
    emit(data, as_json, f"revoked {prefix}")


@customers_app.command("export")
def customers_export(customer_id: int, actor: str = "cli") -> None:
    """Print everything stored about one customer as JSON (APPI disclosure; audited)."""
    from kizuna.customers.privacy import export_customer

    with session_scope(open_sessions()) as session:
        data = export_customer(session, customer_id, actor=actor)
    emit(data, True, "")


@customers_app.command("erase")
def customers_erase(
    customer_id: int,
    reason: Annotated[str, typer.Option()],
    actor: str = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Erase a customer's personal data; orders stay as anonymous facts (audited)."""
    from kizuna.customers.privacy import erase_customer

    with session_scope(open_sessions()) as session:
        customer = erase_customer(session, customer_id, actor=actor, reason=reason)
        data = {"id": customer.id, "erased_at": customer.erased_at}
    emit(data, as_json, f"erased personal data of customer #{customer_id}")


@customers_app.command("merge")
def customers_merge(
    survivor_id: int, merged_id: int, actor: str = "cli", as_json: JsonFlag = False
) -> None:
    """Merge customer MERGED_ID into SURVIVOR_ID (audited; undo with unmerge)."""
    from kizuna.customers.identity import do_merge

    with session_scope(open_sessions()) as session:
        audit = do_merge(session, survivor_id, merged_id, actor=actor)
        data = {
            "merge_id": audit.id,
            "moved": {k: len(v) for k, v in audit.detail["moved"].items()},
        }
    emit(data, as_json, f"merged #{merged_id} into #{survivor_id} (merge #{data['merge_id']})")


@customers_app.command("unmerge")
def customers_unmerge(merge_id: int, actor: str = "cli", as_json: JsonFlag = False) -> None:
    """Undo a merge by its merge id."""
    from kizuna.customers.identity import do_unmerge

    with session_scope(open_sessions()) as session:
        customer = do_unmerge(session, merge_id, actor=actor)
        data = {"restored_id": customer.id}
    emit(data, as_json, f"restored customer #{customer.id}")


@customers_app.command("flag")
def customers_flag(
    customer_id: int,
    reason: Annotated[str | None, typer.Option()] = None,
    clear: Annotated[bool, typer.Option("--clear")] = False,
    actor: str = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Flag (or --clear) a problem customer, with a reason; excluded from digital marketing."""
    from kizuna.customers.service import do_flag_problem

    with session_scope(open_sessions()) as session:
        customer = do_flag_problem(
            session, customer_id, reason=reason, actor=actor, flagged=not clear
        )
        data = {"id": customer.id, "is_problem": customer.is_problem}
    emit(data, as_json, f"customer #{customer_id}: problem={customer.is_problem}")
