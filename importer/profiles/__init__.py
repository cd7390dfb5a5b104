"""Bank export profiles as data files (TOML), and how the right one is found for a file.

Built-in profiles are the `*.toml` files beside this module; a user's own profile file works
the same way (`--profile PATH`).
"""

from importer.profiles.detect import (
    builtin_names,
    builtin_profiles,
    choose_profile,
    detect_profile,
    normalise_header,
)
from importer.profiles.model import (
    FIELD_NAMES,
    PAYDATE_ORDER,
    FieldName,
    Profile,
    load_profile,
)

__all__ = [
    "FIELD_NAMES",
    "PAYDATE_ORDER",
    "FieldName",
    "Profile",
    "builtin_names",
    "builtin_profiles",
    "choose_profile",
    "detect_profile",
    "load_profile",
    "normalise_header",
]
