"""Customer errors."""

from kizuna.kit.errors import Conflict, ValidationFailed


class IdentityTaken(Conflict):
    code = "identity_taken"


class MergeRefused(ValidationFailed):
    code = "merge_refused"
