"""Generate plugins/module_utils/litellm_catalog.py from the installed LiteLLM.

The catalog lists, for each section of the LiteLLM proxy's proxy_server_config.yaml, the keys
that the pinned LiteLLM release reads and a coarse YAML type for each. The collection's modules
validate settings against it without importing LiteLLM at run time. Every list is derived from
the installed package, by introspection or by parsing its source with `ast`, except the
hand-kept design-only keys and the YAML types of two `litellm_settings` keys below.

    python tools/generate_catalog.py            # rewrite the catalog
    python tools/generate_catalog.py --check    # exit 1 when the catalog on disk is stale

Exit status: 0 on success, 1 when --check finds a difference, 2 on any other error.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import collections.abc
import difflib
import enum
import importlib
import inspect
import json
import os
import pathlib
import sys
import time
import types
import typing
from collections.abc import Callable, Iterator, Mapping

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "plugins" / "module_utils" / "litellm_catalog.py"
REGENERATE_COMMAND = "python tools/generate_catalog.py"

# Keep in step with the litellm[proxy] pin in requirements.txt.
EXPECTED_LITELLM_VERSION = "1.108.0"

# Importing litellm may download the model cost map and other JSON files unless these are set.
# The generator forces all of them so that it never opens a network connection.
OFFLINE_ENVIRONMENT = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
}

YAML_TYPES = ("any", "bool", "dict", "float", "int", "list", "str")

# Keys that the collection's settings design uses but LiteLLM does not read. They are kept by hand, and
# the generator fails once one of them appears in LiteLLM's source, so that a maintainer moves it
# into the derived catalog.
DESIGN_ONLY = {
    "general_settings": {
        "store_prompts_in_cold_storage": "bool",
    },
}
DESIGN_ONLY_REASONS = {
    "general_settings": {
        "store_prompts_in_cold_storage": (
            "LiteLLM {version} does not read this key, so it has no effect. Cold storage of prompts is"
            " turned on by litellm_settings.cold_storage_custom_logger and litellm_settings.s3_callback_params."
        ),
    },
}

# The settings loop in ProxyConfig.load_config converts these keys itself, so the annotation of
# the litellm module attribute of the same name (if any) does not describe the YAML value.
# The generator fails when one of them is no longer handled by that loop.
LITELLM_SETTINGS_YAML_TYPES = {
    # `cache: true` switches caching on, while litellm.cache is a Cache object.
    "cache": "bool",
    # The keyword arguments of litellm.Cache().
    "cache_params": "dict",
    # A dotted path to one rule function, which the loop imports into a one-item list.
    "post_call_rules": "str",
    # The keyword arguments of litellm.types.utils.PriorityReservationSettings.
    "priority_reservation_settings": "dict",
    # The loop reads responses.background_mode with dict.get().
    "responses": "dict",
}

# Names of the variables that contain the whole parsed config file in proxy_server.py.
CONFIG_VARIABLE_NAMES = frozenset({"config", "_config", "new_config"})

# Types whose instances can come from YAML. A litellm module attribute of any other type (an API
# handler, the logger, the tracer, the client cache) is internal state, not a setting.
PLAIN_VALUE_TYPES = (type(None), bool, int, float, str, list, dict, tuple, set, frozenset)

LIST_ORIGINS = frozenset(
    {
        list,
        tuple,
        set,
        frozenset,
        collections.abc.Sequence,
        collections.abc.MutableSequence,
        collections.abc.Set,
        collections.abc.MutableSet,
        collections.abc.Collection,
        collections.abc.Iterable,
    }
)
DICT_ORIGINS = frozenset({dict, collections.abc.Mapping, collections.abc.MutableMapping})
WRAPPER_ORIGINS = frozenset(
    {
        typing.Annotated,
        typing.Final,
        typing.ClassVar,
        typing.Required,
        typing.NotRequired,
    }
)

Resolver = Callable[[str], object]


class CatalogError(Exception):
    """A catalog that cannot be generated, with the reason and the fix."""


# ---------------------------------------------------------------------------------------------
# Annotation to YAML type
# ---------------------------------------------------------------------------------------------


def _no_resolver(expression: str) -> object:
    raise NameError(expression)


def unwrap_annotation(annotation: object, resolve: Resolver = _no_resolver) -> object:
    """Strip Annotated, Final, Required and similar wrappers and resolve string annotations.

    A forward reference that `resolve` cannot evaluate becomes typing.Any.
    """
    while True:
        if isinstance(annotation, typing.ForwardRef):
            annotation = annotation.__forward_arg__
        if isinstance(annotation, str):
            try:
                annotation = resolve(annotation)
            except Exception:  # noqa: BLE001 - any failure to evaluate means "unknown type"
                return typing.Any
            continue
        origin = typing.get_origin(annotation)
        if origin in WRAPPER_ORIGINS or _is_read_only(origin):
            annotation = typing.get_args(annotation)[0]
            continue
        return annotation


def _is_read_only(origin: object) -> bool:
    # Python 3.13 adds typing.ReadOnly, and typing_extensions provides it for older versions.
    return getattr(origin, "_name", None) == "ReadOnly"


def _is_union(origin: object) -> bool:
    return origin is typing.Union or origin is types.UnionType


def _non_none_members(annotation: object) -> list[object]:
    return [member for member in typing.get_args(annotation) if member is not type(None)]


def _value_type(value: object) -> str:
    """Map a Python value (a Literal member, an enum value or a default) to a YAML type."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return "any"


def _merge_types(kinds: set[str]) -> str:
    """Merge the YAML types of a union's members: one type, int with float, or else "any"."""
    if kinds == {"int", "float"}:
        return "float"
    if len(kinds) == 1:
        return next(iter(kinds))
    return "any"


def yaml_type(annotation: object, resolve: Resolver = _no_resolver) -> str:
    """Map a type annotation to one of YAML_TYPES.

    None is dropped from unions. A union of int and float is "float". Other mixed unions, Any,
    callables and classes that YAML cannot express are "any". Lists, tuples and sets are "list".
    Dicts, TypedDicts, mappings and pydantic models are "dict". Literals and enums take the type
    of their values.
    """
    annotation = unwrap_annotation(annotation, resolve)
    if annotation is typing.Any or annotation is object or annotation is type(None):
        return "any"

    origin = typing.get_origin(annotation)
    if _is_union(origin):
        members = _non_none_members(annotation)
        return _merge_types({yaml_type(member, resolve) for member in members})
    if origin is typing.Literal:
        return _merge_types({_value_type(value) for value in typing.get_args(annotation)})
    if origin in LIST_ORIGINS:
        return "list"
    if origin in DICT_ORIGINS:
        return "dict"
    if origin is not None:
        annotation = origin

    if not inspect.isclass(annotation):
        return "any"
    return _class_yaml_type(annotation)


def _class_yaml_type(cls: type) -> str:
    import pydantic

    if issubclass(cls, bool):
        return "bool"
    if issubclass(cls, enum.Enum):
        return _merge_types({_value_type(member) for member in cls})
    if issubclass(cls, int):
        return "int"
    if issubclass(cls, float):
        return "float"
    if issubclass(cls, str):
        return "str"
    if issubclass(cls, (list, tuple, set, frozenset)):
        return "list"
    # A TypedDict class is a dict subclass.
    if issubclass(cls, dict) or issubclass(cls, pydantic.BaseModel):
        return "dict"
    return "any"


def _string_choices(annotation: object, resolve: Resolver) -> list[str] | None:
    """Return the allowed strings of a Literal, an enum, or a union of them, else None."""
    annotation = unwrap_annotation(annotation, resolve)
    origin = typing.get_origin(annotation)
    values: list[object] = []
    if _is_union(origin):
        for member in _non_none_members(annotation):
            member_choices = _string_choices(member, resolve)
            if member_choices is None:
                return None
            values.extend(member_choices)
    elif origin is typing.Literal:
        values = [value.value if isinstance(value, enum.Enum) else value for value in typing.get_args(annotation)]
    elif inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
        values = [member.value for member in annotation]
    else:
        return None
    if not values or not all(isinstance(value, str) for value in values):
        return None
    return sorted(set(values))


def enum_choices(annotation: object, resolve: Resolver = _no_resolver) -> tuple[str, list[str]] | None:
    """Return (path suffix, allowed strings) when an annotation restricts a value to fixed strings.

    The suffix is "" for a scalar and "[]" for a list, tuple or set whose items are restricted.
    Returns None when any string or a non-string value is allowed.
    """
    annotation = unwrap_annotation(annotation, resolve)
    if _is_union(typing.get_origin(annotation)):
        members = _non_none_members(annotation)
        if len(members) == 1:
            return enum_choices(members[0], resolve)

    choices = _string_choices(annotation, resolve)
    if choices is not None:
        return "", choices

    if typing.get_origin(annotation) in LIST_ORIGINS:
        item_types = [arg for arg in typing.get_args(annotation) if arg is not Ellipsis]
        if len(item_types) == 1:
            item_choices = _string_choices(item_types[0], resolve)
            if item_choices is not None:
                return "[]", item_choices
    return None


# ---------------------------------------------------------------------------------------------
# Source parsing
# ---------------------------------------------------------------------------------------------


def _walk_own_body(node: ast.AST) -> Iterator[ast.AST]:
    """Yield the nodes below `node` without entering nested functions, lambdas or classes."""
    for child in ast.iter_child_nodes(node):
        yield child
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        yield from _walk_own_body(child)


def _variable_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _string_constant(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def literal_key_reads(node: ast.AST) -> tuple[ast.AST, str] | None:
    """Return (container, key) when `node` reads a literal key from a container.

    The recognised forms are `container.get("key", ...)`, `container["key"]` (not as an
    assignment target) and `"key" in container`.
    """
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        key = _string_constant(node.args[0]) if node.args else None
        if key is not None:
            return node.func.value, key
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        key = _string_constant(node.slice)
        if key is not None:
            return node.value, key
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In):
        key = _string_constant(node.left)
        if key is not None:
            return node.comparators[0], key
    return None


def collect_literal_reads(tree: ast.AST, variable_names: frozenset[str]) -> dict[str, set[str]]:
    """Collect the literal keys read from variables or attributes with one of the given names.

    Returns {variable name: keys}, with an empty set for a name that is never read.
    """
    keys: dict[str, set[str]] = {name: set() for name in variable_names}
    for node in ast.walk(tree):
        read = literal_key_reads(node)
        if read is None:
            continue
        name = _variable_name(read[0])
        if name in keys:
            keys[name].add(read[1])
    return keys


def _find_class(tree: ast.Module, name: str) -> ast.ClassDef:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise CatalogError(f"class {name} not found in proxy_server.py. Update tools/generate_catalog.py for this litellm.")


class RootKeyReads(typing.NamedTuple):
    accepted: dict[str, list[int]]
    rejected: list[tuple[str, int, str]]


def find_root_config_reads(tree: ast.Module) -> RootKeyReads:
    """Find the literal root keys that proxy_server.py reads from the parsed config file.

    A variable named config, _config or new_config counts as the parsed config file inside a
    function where it is a parameter of a ProxyConfig method, or is assigned from a call to a
    ProxyConfig method (for example `await proxy_config.get_config()`). Nested functions inherit
    the enclosing function's variables unless they assign them again. Reads from other variables
    of those names are returned as rejected: one such dict is the anthropic beta headers reload
    setting, with the keys interval_hours and force_reload, which the proxy loads from its
    database.
    """
    proxy_config_class = _find_class(tree, "ProxyConfig")
    loader_methods = {
        node.name
        for node in proxy_config_class.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    proxy_config_methods = {
        id(node)
        for node in proxy_config_class.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    result = RootKeyReads(accepted={}, rejected=[])

    def is_loader_call(value: ast.AST | None) -> bool:
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return False
        return _variable_name(value.func) in loader_methods

    def visit_function(function: ast.FunctionDef | ast.AsyncFunctionDef, inherited: frozenset[str]) -> None:
        loader_assigned: set[str] = set()
        other_assigned: set[str] = set()
        for node in _walk_own_body(function):
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
                continue
            for target in _assigned_names(node) & CONFIG_VARIABLE_NAMES:
                if is_loader_call(node.value):
                    loader_assigned.add(target)
                else:
                    other_assigned.add(target)

        # An assignment from anything but a loader hides the inherited variable, unless the
        # function also assigns it from a loader (the analysis ignores statement order).
        loaded = (set(inherited) - (other_assigned - loader_assigned)) | loader_assigned
        if id(function) in proxy_config_methods:
            arguments = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
            loaded.update(argument.arg for argument in arguments if argument.arg in CONFIG_VARIABLE_NAMES)

        for node in _walk_own_body(function):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit_function(node, frozenset(loaded))
                continue
            read = literal_key_reads(node)
            if read is None or not isinstance(read[0], ast.Name) or read[0].id not in CONFIG_VARIABLE_NAMES:
                continue
            key = read[1]
            if read[0].id in loaded:
                result.accepted.setdefault(key, []).append(node.lineno)
            else:
                result.rejected.append((key, node.lineno, function.name))

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_outermost_function(tree, node):
            visit_function(node, frozenset())
    return result


def _assigned_names(node: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {target.id for target in targets if isinstance(target, ast.Name)}


def _is_outermost_function(tree: ast.Module, function: ast.AST) -> bool:
    """Tell whether `function` is a module-level function or a method of a module-level class."""
    for node in tree.body:
        if node is function:
            return True
        if isinstance(node, ast.ClassDef) and any(member is function for member in node.body):
            return True
    return False


def find_settings_loop_keys(tree: ast.Module) -> set[str]:
    """Return the string constants compared with `key` in `for key, value in litellm_settings.items()`.

    Comparisons inside a nested loop that binds `key` again (the cache_params loop) are skipped.
    """
    loops = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.For, ast.AsyncFor))
        and isinstance(node.target, ast.Tuple)
        and len(node.target.elts) == 2
        and isinstance(node.target.elts[0], ast.Name)
        and isinstance(node.iter, ast.Call)
        and isinstance(node.iter.func, ast.Attribute)
        and node.iter.func.attr == "items"
        and _variable_name(node.iter.func.value) == "litellm_settings"
    ]
    if len(loops) != 1:
        raise CatalogError(
            f"expected one `for key, value in litellm_settings.items()` loop in proxy_server.py, found {len(loops)}."
            " Update find_settings_loop_keys in tools/generate_catalog.py."
        )
    loop = loops[0]
    key_name = loop.target.elts[0].id
    keys: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.For, ast.AsyncFor)) and key_name in {
                name.id for name in ast.walk(child.target) if isinstance(name, ast.Name)
            }:
                continue
            if isinstance(child, ast.Compare):
                keys.update(_compared_strings(child, key_name))
            visit(child)

    for statement in loop.body:
        visit(statement)
    if not keys:
        raise CatalogError("the litellm_settings loop in proxy_server.py compares `key` with no string constant")
    return keys


def _compared_strings(compare: ast.Compare, key_name: str) -> set[str]:
    operands = [compare.left, *compare.comparators]
    if not any(isinstance(operand, ast.Name) and operand.id == key_name for operand in operands):
        return set()
    found: set[str] = set()
    for operand in operands:
        value = _string_constant(operand)
        if value is not None:
            found.add(value)
        elif isinstance(operand, (ast.Set, ast.Tuple, ast.List)):
            found.update(item for item in map(_string_constant, operand.elts) if item is not None)
    return found


def _parse_file(path: pathlib.Path) -> ast.Module:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as error:
        raise CatalogError(f"failed to parse {path}: {error}") from error


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------


class Catalog(typing.NamedTuple):
    version: str
    sections: dict[str, dict[str, str]]
    enums: dict[str, list[str]]
    special_keys: dict[str, list[str]]
    open_sections: dict[str, str]
    ignored_keys: dict[str, dict[str, str]]
    design_only: dict[str, dict[str, str]]
    design_only_reasons: dict[str, dict[str, str]]
    rejected_root_reads: list[tuple[str, int, str]]


def _field_path(section: str, key: str) -> str:
    return f"{section}.{key}" if section else key


def _add_fields(
    catalog_sections: dict[str, dict[str, str]],
    enums: dict[str, list[str]],
    section: str,
    fields: Mapping[str, object],
    resolve: Resolver = _no_resolver,
) -> None:
    """Add annotated fields to a section, keeping a type that the section already has."""
    keys = catalog_sections.setdefault(section, {})
    for name, annotation in fields.items():
        keys.setdefault(name, yaml_type(annotation, resolve))
        choices = enum_choices(annotation, resolve)
        if choices is not None:
            suffix, values = choices
            enums[_field_path(section, name) + suffix] = values


def _model_annotations(model: type) -> dict[str, object]:
    return {name: field.annotation for name, field in model.model_fields.items()}


def _parameter_annotations(function: Callable[..., object], skip_private: bool) -> tuple[dict[str, object], bool]:
    """Return the annotations of a function's named parameters and whether it takes **kwargs."""
    signature = inspect.signature(function)
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - fall back to the raw annotations per parameter
        hints = {}
    annotations: dict[str, object] = {}
    takes_kwargs = False
    for name, parameter in signature.parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            takes_kwargs = True
            continue
        if name == "self" or parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if skip_private and name.startswith("_"):
            continue
        annotation = hints.get(name, parameter.annotation)
        annotations[name] = typing.Any if annotation is inspect.Parameter.empty else annotation
    return annotations, takes_kwargs


def _type_checking_imports(module_path: pathlib.Path) -> dict[str, tuple[str, str]]:
    """Map each name imported under `if TYPE_CHECKING:` in a module to (module, attribute)."""
    imports: dict[str, tuple[str, str]] = {}
    for node in ast.walk(_parse_file(module_path)):
        if not (isinstance(node, ast.If) and _variable_name(node.test) == "TYPE_CHECKING"):
            continue
        for statement in ast.walk(node):
            if isinstance(statement, ast.ImportFrom) and statement.module and statement.level == 0:
                for alias in statement.names:
                    imports[alias.asname or alias.name] = (statement.module, alias.name)
    return imports


class _ModuleNamespace(Mapping[str, object]):
    """Names visible to a module's string annotations, including TYPE_CHECKING-only imports."""

    def __init__(self, module: types.ModuleType, type_checking_imports: dict[str, tuple[str, str]]) -> None:
        self._module = module
        self._type_checking_imports = type_checking_imports

    def __getitem__(self, name: str) -> object:
        if hasattr(self._module, name):
            return getattr(self._module, name)
        if name in self._type_checking_imports:
            module_name, attribute = self._type_checking_imports[name]
            try:
                return getattr(importlib.import_module(module_name), attribute)
            except (ImportError, AttributeError) as error:
                raise KeyError(name) from error
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _public_module_settings(litellm: types.ModuleType) -> dict[str, object]:
    """Return the litellm module attributes that litellm_settings can set, with their values.

    Kept: names without a leading underscore whose value is None or a plain YAML-like value.
    Dropped: modules, classes, callables, typing aliases, names that start with a capital letter
    (constants re-exported from litellm.constants, and lists of types) and instances of other
    classes (API handlers, the logger).
    Names that litellm loads lazily through its module __getattr__ are included, so that the
    result does not depend on which of them were touched before.

    NOTE: the filter cannot tell settings from other lowercase module data, so the result also
    contains the provider model lists and tables filled from the cost map (anthropic_models,
    model_cost) and a few runtime values (initialized_langfuse_clients).
    """
    names = set(dir(litellm))
    lazy_imports = getattr(litellm, "_lazy_imports", None)
    registry_function = getattr(lazy_imports, "get_lazy_import_registry", None)
    if registry_function is not None:
        names.update(registry_function())

    settings: dict[str, object] = {}
    for name in sorted(names):
        if name.startswith("_") or name[0].isupper():
            continue
        try:
            value = getattr(litellm, name)
        except (AttributeError, ImportError):
            continue
        if isinstance(value, types.ModuleType) or inspect.isclass(value) or callable(value):
            continue
        if not isinstance(value, PLAIN_VALUE_TYPES):
            continue
        settings[name] = value
    return settings


def _build_litellm_settings(
    litellm: types.ModuleType,
    module_settings: dict[str, object],
    loop_keys: set[str],
    proxy_reads: set[str],
    sections: dict[str, dict[str, str]],
    enums: dict[str, list[str]],
) -> None:
    namespace = _ModuleNamespace(litellm, _type_checking_imports(pathlib.Path(litellm.__file__)))

    def resolve(expression: str) -> object:
        return eval(expression, {"__builtins__": builtins}, namespace)  # noqa: S307 - litellm's own annotations

    annotations = getattr(litellm, "__annotations__", {})
    keys = sections.setdefault("litellm_settings", {})
    for name, value in module_settings.items():
        if name in annotations:
            _add_fields(sections, enums, "litellm_settings", {name: annotations[name]}, resolve)
            if keys[name] == "any" and value is not None:
                keys[name] = _value_type(value)
        else:
            keys[name] = _value_type(value)
    for name in loop_keys | proxy_reads:
        keys.setdefault(name, "any")
    for name, yaml_value_type in LITELLM_SETTINGS_YAML_TYPES.items():
        if name not in loop_keys:
            raise CatalogError(
                f"the litellm_settings loop in proxy_server.py no longer handles {name!r}. Remove it from"
                " LITELLM_SETTINGS_YAML_TYPES in tools/generate_catalog.py."
            )
        keys[name] = yaml_value_type
        enums.pop(_field_path("litellm_settings", name), None)


def _collect_proxy_settings_reads(litellm_dir: pathlib.Path) -> dict[str, set[str]]:
    """Collect the literal keys read from `litellm_settings` and `general_settings` in litellm/proxy."""
    names = frozenset({"litellm_settings", "general_settings"})
    reads: dict[str, set[str]] = {name: set() for name in names}
    for path in sorted((litellm_dir / "proxy").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        # Parsing is the slow step, so skip the files that never mention either name.
        if not any(name in text for name in names):
            continue
        try:
            tree = ast.parse(text, filename=str(path))
        except SyntaxError as error:
            raise CatalogError(f"failed to parse {path}: {error}") from error
        for name, keys in collect_literal_reads(tree, names).items():
            reads[name] |= keys
    return reads


def build_catalog(litellm: types.ModuleType, version: str) -> Catalog:
    """Build the catalog from an imported litellm package."""
    # Read the module attributes before importing litellm's proxy or router modules, which add
    # attributes to the litellm module as a side effect.
    module_settings = _public_module_settings(litellm)

    from litellm.caching.caching import Cache
    from litellm.proxy._types import ConfigGeneralSettings, ConfigYAML, UserHeaderMapping
    from litellm.types.router import Deployment

    try:
        from litellm.constants import ROUTER_SETTINGS_MANAGED_OUTSIDE_CONFIG
    except ImportError:
        ROUTER_SETTINGS_MANAGED_OUTSIDE_CONFIG = frozenset()  # noqa: N806 - mirrors litellm's name

    litellm_dir = pathlib.Path(litellm.__file__).parent
    proxy_server_tree = _parse_file(litellm_dir / "proxy" / "proxy_server.py")

    sections: dict[str, dict[str, str]] = {}
    enums: dict[str, list[str]] = {}

    _add_fields(sections, enums, "", _model_annotations(ConfigYAML))
    root_reads = find_root_config_reads(proxy_server_tree)
    for key in root_reads.accepted:
        sections[""].setdefault(key, "any")

    loop_keys = find_settings_loop_keys(proxy_server_tree)
    proxy_reads = _collect_proxy_settings_reads(litellm_dir)
    _build_litellm_settings(litellm, module_settings, loop_keys, proxy_reads["litellm_settings"], sections, enums)

    _add_fields(sections, enums, "general_settings", _model_annotations(ConfigGeneralSettings))
    for key in proxy_reads["general_settings"]:
        sections["general_settings"].setdefault(key, "any")

    router_parameters, router_takes_kwargs = _parameter_annotations(litellm.Router.__init__, skip_private=False)
    ignored_router_keys = {
        name: "LiteLLM {version} sets this Router argument itself and ignores it in router_settings."
        for name in router_parameters
        if name in ROUTER_SETTINGS_MANAGED_OUTSIDE_CONFIG
    }
    _add_fields(
        sections,
        enums,
        "router_settings",
        {name: value for name, value in router_parameters.items() if name not in ignored_router_keys},
    )

    # NOTE: litellm.Cache annotates `port` as str, so cache_params.port is "str" here although the
    # Redis client also accepts an int.
    cache_parameters, cache_takes_kwargs = _parameter_annotations(Cache.__init__, skip_private=True)
    _add_fields(sections, enums, "litellm_settings.cache_params", cache_parameters)

    _add_fields(sections, enums, "general_settings.user_header_mappings[]", _model_annotations(UserHeaderMapping))
    _add_fields(sections, enums, "model_list[]", _model_annotations(Deployment))

    open_sections: dict[str, str] = {}
    if cache_takes_kwargs:
        open_sections["litellm_settings.cache_params"] = (
            "litellm.Cache() takes **kwargs and passes unknown keys to the cache backend, for example the Redis client."
        )
    if router_takes_kwargs:
        open_sections["router_settings"] = "litellm.Router() takes **kwargs."
    if Deployment.model_config.get("extra") == "allow":
        open_sections["model_list[]"] = "litellm.types.router.Deployment allows extra keys and keeps them on the deployment."
    if UserHeaderMapping.model_config.get("extra") == "allow":
        open_sections["general_settings.user_header_mappings[]"] = "UserHeaderMapping allows extra keys."

    reasons = {
        section: {key: reason.format(version=version) for key, reason in keys.items()}
        for section, keys in DESIGN_ONLY_REASONS.items()
    }
    _verify_design_only(litellm_dir, sections)

    return Catalog(
        version=version,
        sections=_sorted_sections(sections),
        enums=dict(sorted(enums.items())),
        special_keys={"litellm_settings": sorted(loop_keys)},
        open_sections=dict(sorted(open_sections.items())),
        ignored_keys={
            "router_settings": {key: reason.format(version=version) for key, reason in sorted(ignored_router_keys.items())}
        },
        design_only=DESIGN_ONLY,
        design_only_reasons=reasons,
        rejected_root_reads=sorted(root_reads.rejected, key=lambda item: (item[1], item[0])),
    )


def _sorted_sections(sections: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    result = {section: dict(sorted(keys.items())) for section, keys in sorted(sections.items())}
    for section, keys in result.items():
        for key, value in keys.items():
            if value not in YAML_TYPES:
                raise CatalogError(f"internal error: {section}.{key} has type {value!r}, not one of {YAML_TYPES}")
    return result


def find_key_in_sources(root: pathlib.Path, key: str) -> list[pathlib.Path]:
    """Return the .py files below `root` whose text contains `key`."""
    needle = key.encode()
    return [path for path in sorted(root.rglob("*.py")) if needle in path.read_bytes()]


def _verify_design_only(litellm_dir: pathlib.Path, sections: dict[str, dict[str, str]]) -> None:
    """Raise CatalogError when a design-only key occurs in LiteLLM's .py files or in a section."""
    for section, keys in DESIGN_ONLY.items():
        for key in keys:
            found = find_key_in_sources(litellm_dir, key)
            if found or key in sections.get(section, {}):
                where = ", ".join(str(path.relative_to(litellm_dir.parent)) for path in found[:5]) or "the derived catalog"
                raise CatalogError(
                    f"design-only key {section}.{key} now occurs in the installed litellm ({where})."
                    " Remove it from DESIGN_ONLY and DESIGN_ONLY_REASONS in tools/generate_catalog.py."
                )


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------

HEADER = '''\
# Generated by `{command}` from LiteLLM {version}. Do not edit this file by hand:
# change tools/generate_catalog.py or upgrade the litellm pin, then run the command again.
"""Settings keys that LiteLLM {version} reads from proxy_server_config.yaml, per section.

SECTIONS maps a section path to {{key: type}}. The path "" is the root of the file, a dot
separates nested sections, and "[]" stands for each item of a list. A type is one of "any",
"bool", "dict", "float", "int", "list" and "str", derived from LiteLLM's annotations. "float"
also covers annotations that allow int or float. "any" means that the annotation fixes no type.
ENUMS maps "section.key" (with "[]" for list items) to the allowed strings.
SPECIAL_KEYS lists the litellm_settings keys that the proxy's settings loop compares by name,
so each gets handling beyond setting the litellm module attribute of that name.
OPEN_SECTIONS names the sections whose LiteLLM consumer also accepts keys that are not listed.
IGNORED_KEYS lists keys that LiteLLM defines but the proxy ignores in that section.
DESIGN_ONLY lists keys that the collection's design uses but LiteLLM does not read, with the reason in
DESIGN_ONLY_REASONS. These keys are absent from SECTIONS.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type
'''


MAX_STRING_LINE = 88


def _format_string(value: str, indent: int) -> str:
    """Format a string literal, split at spaces into parenthesised parts when it is long."""
    if len(value) <= MAX_STRING_LINE:
        return json.dumps(value)
    parts: list[str] = []
    current = ""
    for word in value.split(" "):
        if current and len(current) + len(word) + 1 > MAX_STRING_LINE:
            parts.append(current + " ")
            current = word
        else:
            current = f"{current} {word}" if current else word
    parts.append(current)
    if "".join(parts) != value:
        raise CatalogError(f"internal error: splitting changed the string {value!r}")
    padding = " " * (indent + 4)
    lines = "".join(f"{padding}{json.dumps(part)}\n" for part in parts)
    return "(\n" + lines + " " * indent + ")"


def _format_value(value: object, indent: int) -> str:
    """Format strings, lists and dicts as Python literals, one item per line, in a stable order."""
    padding = " " * (indent + 4)
    if isinstance(value, str):
        return _format_string(value, indent)
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{padding}{_format_value(item, indent + 4)},\n" for item in value)
        return "[\n" + items + " " * indent + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(
            f"{padding}{json.dumps(key)}: {_format_value(item, indent + 4)},\n" for key, item in sorted(value.items())
        )
        return "{\n" + items + " " * indent + "}"
    raise TypeError(f"cannot format {type(value).__name__} in the catalog")


def render_catalog(catalog: Catalog) -> str:
    """Render the catalog module's text."""
    parts = [HEADER.format(command=REGENERATE_COMMAND, version=catalog.version)]
    assignments = [
        ("LITELLM_VERSION", catalog.version),
        ("SECTIONS", catalog.sections),
        ("ENUMS", catalog.enums),
        ("SPECIAL_KEYS", catalog.special_keys),
        ("OPEN_SECTIONS", catalog.open_sections),
        ("IGNORED_KEYS", catalog.ignored_keys),
        ("DESIGN_ONLY", catalog.design_only),
        ("DESIGN_ONLY_REASONS", catalog.design_only_reasons),
    ]
    for name, value in assignments:
        parts.append(f"\n{name} = {_format_value(value, 0)}\n")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def check_version(installed: str, expected: str, allow_mismatch: bool) -> None:
    """Raise CatalogError when the installed litellm is not the pinned release."""
    if installed == expected or allow_mismatch:
        return
    raise CatalogError(
        f"installed litellm is {installed}, expected {expected}: install litellm[proxy]=={expected}"
        " (pinned in requirements.txt) or pass --allow-version-mismatch"
    )


def import_litellm() -> tuple[types.ModuleType, str]:
    """Import litellm without network access and return it with its installed version."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    try:
        import litellm
    except ImportError as error:
        raise CatalogError(
            f"failed to import litellm ({error}). Install the packages in requirements.txt, for example with `make setup`."
        ) from error
    from importlib.metadata import PackageNotFoundError, version

    try:
        return litellm, version("litellm")
    except PackageNotFoundError as error:
        raise CatalogError("litellm is importable but has no package metadata. Reinstall it with pip.") from error


def summarize_diff(old_text: str, new_text: str, path: pathlib.Path, max_lines: int = 60) -> str:
    """Return a unified diff of the catalog, cut to `max_lines` lines, with a count of changed lines."""
    diff = list(
        difflib.unified_diff(
            old_text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=f"{path} (on disk)",
            tofile=f"{path} (generated)",
        )
    )
    removed = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
    added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
    diff_text = "".join(diff[:max_lines])
    if len(diff) > max_lines:
        diff_text += f"... {len(diff) - max_lines} more diff lines\n"
    return f"{diff_text}{path} is stale: {removed} lines removed, {added} lines added. Run `{REGENERATE_COMMAND}`.\n"


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=pathlib.Path,
        default=DEFAULT_OUTPUT,
        help=f"catalog file to write or check (default: {DEFAULT_OUTPUT.relative_to(REPO_ROOT)})",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and print a diff when the file differs from a fresh generation",
    )
    parser.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help=f"generate from an installed litellm other than {EXPECTED_LITELLM_VERSION}",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="print the key counts per section and the config reads that were excluded as not the config file",
    )
    return parser.parse_args(argv)


def _print_report(catalog: Catalog, seconds: float) -> None:
    for section, keys in catalog.sections.items():
        print(f"{section or '(root)'}: {len(keys)} keys", file=sys.stderr)
    print(f"enums: {len(catalog.enums)}, special litellm_settings keys: {len(catalog.special_keys['litellm_settings'])}", file=sys.stderr)
    for key, line, function in catalog.rejected_root_reads:
        print(f"excluded root read {key!r} at proxy_server.py:{line} in {function}()", file=sys.stderr)
    print(f"generated in {seconds:.1f} s", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    arguments = _parse_arguments(argv)
    started = time.monotonic()
    try:
        litellm, installed_version = import_litellm()
        check_version(installed_version, EXPECTED_LITELLM_VERSION, arguments.allow_version_mismatch)
        catalog = build_catalog(litellm, installed_version)
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = render_catalog(catalog)
    if arguments.verbose:
        _print_report(catalog, time.monotonic() - started)

    output: pathlib.Path = arguments.output
    if arguments.check:
        try:
            current = output.read_text(encoding="utf-8")
        except FileNotFoundError:
            print(f"{output} not found. Run `{REGENERATE_COMMAND}`.", file=sys.stderr)
            return 1
        if current != text:
            sys.stdout.write(summarize_diff(current, text, output))
            return 1
        return 0

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
