"""Policy: who may let an action run. Reads run, writes and egress ask, deny rules win, and a
person's "allow for this session" becomes a narrow, revocable rule. Never the model's say."""

from __future__ import annotations

import fnmatch
import ipaddress
import itertools
import posixpath
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from assistant.config import DenyRule
from tools.base import Action, Effect, Unlock

if TYPE_CHECKING:
    from assistant.rules import RuleBook

RulingKind = Literal["allow", "ask", "deny"]


@dataclass(frozen=True)
class Ruling:
    """What the policy says of an action: allow it, ask a person, or deny it."""

    kind: RulingKind
    by: str
    """Who decided: "policy:read", "policy:deny", "rule:<id>", or "" when a person must."""
    reason: str = ""


@dataclass(frozen=True)
class Grant:
    """A session rule from "allow for this session" (g1...), or a rule saved for the workspace
    (r1..., ``lasting``): it covers actions of the same tool whose scope key is equal and whose
    kinds of change are all among ``kinds``."""

    id: str
    tool: str
    key: str
    label: str
    kinds: frozenset[str] = frozenset()
    lasting: bool = False
    """Saved in the workspace's rules file (``assistant.rules``): it outlives the session."""


@dataclass(frozen=True)
class UnlockRule:
    """An unlock in force: what a tool said an approval unlocks (``tools.base.Unlock``), under the
    id /grants lists (h1...) and revokes, with who approved it."""

    id: str
    unlock: Unlock
    by: str = "human"

    @property
    def label(self) -> str:
        return self.unlock.label


class Policy:
    def __init__(
        self,
        deny_rules: Sequence[DenyRule] = (),
        resolve_name: Callable[[str], Iterable[str]] | None = None,
        standing: Iterable[Unlock] = (),
        book: RuleBook | None = None,
    ) -> None:
        """``resolve_name`` looks up a host deny rule's own name (tests pass a fake);
        ``standing``: unlocks the config gives (allow_hosts), never listed nor revocable;
        ``book``: the workspace's saved rules (read again when their file changes)."""
        self.deny_rules = tuple(deny_rules)
        self.grants: dict[str, Grant] = {}
        self.book = book
        self.unlocks: dict[str, UnlockRule] = {}
        self.standing = {u.target: u for u in standing}
        self._ids = itertools.count(1)
        self._resolve_name = resolve_name or rule_host_addresses
        self._unlock_ids = itertools.count(1)

    def decide(self, action: Action) -> Ruling:
        for target in action.targets or ("",):
            # while planning, names in rules are matched as written: nothing is looked up
            reason = self._denied(action.tool, target, action.effect, None)
            if reason is not None:
                return Ruling("deny", "policy:deny", reason)
        if action.needs_person:
            # Only a person approving this exact action may unlock it; no rule, no read shortcut.
            return Ruling("ask", "", action.needs_person)
        if action.effect is Effect.READ:
            return Ruling("allow", "policy:read")
        grant = self.matching_grant(action)
        if grant is not None:
            return Ruling("allow", f"rule:{grant.id}", grant.label)
        return Ruling("ask", "")

    def target_denied(self, tool: str, target: str, effect: Effect) -> str | None:
        """The reason of the first deny rule covering ``target`` (see ``tools.base.DenyCheck``).

        Tools ask this as they run; for an address target ("host:<ip>:<port>", asked once the
        request's name was resolved after approval) a rule naming a host also covers the
        addresses that name resolves to now (the rule's own configured name is looked up, never
        text the model chose)."""
        return self._denied(tool, target, effect, self._resolve_name)

    def _denied(
        self,
        tool: str,
        target: str,
        effect: Effect,
        resolve: Callable[[str], Iterable[str]] | None,
    ) -> str | None:
        for rule in self.deny_rules:
            if not fnmatch.fnmatchcase(tool, rule.tool):
                continue
            if rule.effect and rule.effect != effect.value:
                continue
            if rule.target == "*" or (target and target_matches(rule.target, target, resolve)):
                return rule.reason
        return None

    def saved(self) -> dict[str, Grant]:
        """The workspace's saved rules as the file says now (none while it is unusable)."""
        if self.book is None:
            return {}
        return {
            r.id: Grant(r.id, r.tool, r.scope, r.label, r.kinds, lasting=True)
            for r in self.book.rules()
        }

    def matching_grant(self, action: Action) -> Grant | None:
        """The session rule or saved rule covering ``action``: one matcher for both."""
        if action.scope is None:
            return None
        for grant in [*self.grants.values(), *self.saved().values()]:
            if (
                grant.tool == action.tool
                and grant.key == action.scope.key
                and action.scope.kinds <= grant.kinds
            ):
                return grant
        return None

    def add_grant(self, action: Action) -> Grant:
        """Create the rule an "allow for this session" on ``action`` stands for."""
        if action.scope is None or action.needs_person:
            raise ValueError(f"{action.tool}: this action offers no session rule")
        existing = self.matching_grant(action)
        if existing is not None:
            return existing
        scope = action.scope
        grant = Grant(f"g{next(self._ids)}", action.tool, scope.key, scope.label, scope.kinds)
        self.grants[grant.id] = grant
        return grant

    def save_rule(self, action: Action) -> Grant:
        """Save the rule "allow this for the workspace" on ``action`` stands for: the same scope
        an "allow for this session" makes, kept in the rules file (RulesError when it cannot)."""
        if action.scope is None or action.needs_person:
            raise ValueError(f"{action.tool}: this action offers no rule")
        if self.book is None:
            raise ValueError("this session keeps no rules")
        scope = action.scope
        rule = self.book.add(action.tool, scope.key, scope.kinds, scope.label)
        return Grant(rule.id, rule.tool, rule.scope, rule.label, rule.kinds, lasting=True)

    def unlock(self, unlock: Unlock, by: str = "human") -> UnlockRule | None:
        """Record what an approval unlocked; None when an unlock in force already covers it
        (a standing one from the config, or an earlier approval)."""
        covering = self.unlocked(unlock.target)
        if covering is not None and (covering.needs_person or not unlock.needs_person):
            return None
        current = next((r for r in self.unlocks.values() if r.unlock.target == unlock.target), None)
        rule_id = current.id if current is not None else f"h{next(self._unlock_ids)}"
        rule = UnlockRule(rule_id, unlock, by)
        self.unlocks[rule_id] = rule
        return rule

    def unlocked(self, target: str) -> Unlock | None:
        """The unlock covering ``target`` now (see ``tools.base.UnlockCheck``)."""
        found = [self.standing[target]] if target in self.standing else []
        found += [r.unlock for r in self.unlocks.values() if r.unlock.target == target]
        return max(found, key=lambda u: u.needs_person, default=None)

    def revoke(self, grant_id: str) -> Grant | UnlockRule:
        """Take back a session rule (g1...), a host unlock (h1...) or a saved rule (r1..., removed
        from the rules file)."""
        if grant_id in self.grants:
            return self.grants.pop(grant_id)
        if grant_id in self.unlocks:
            return self.unlocks.pop(grant_id)
        if self.book is not None and grant_id in self.saved():
            r = self.book.revoke(grant_id)
            return Grant(r.id, r.tool, r.scope, r.label, r.kinds, lasting=True)
        raise KeyError(f"no session rule {grant_id!r} (/grants lists them)")


def target_matches(
    pattern: str, target: str, resolve: Callable[[str], Iterable[str]] | None = None
) -> bool:
    """Does a deny rule's target pattern cover ``target``?

    - "path:GLOB" covers a path it matches and everything inside a folder it matches
      ("path:private" and "path:private/*" both cover "path:private/deep/key.txt").
    - "host:GLOB:PORT" matches host and port as globs. When GLOB is an address or a range
      ("10.0.0.0/8", "192.168.1.7", "fd00::/8") it covers address targets in it, IPv4-mapped
      IPv6 forms included. With ``resolve`` (when a request runs, never while planning), a
      plain name ("db.internal") also covers address targets that name resolves to.
    """
    if fnmatch.fnmatchcase(target, pattern):
        return True
    if pattern.startswith("path:") and target.startswith("path:"):
        rel = target.removeprefix("path:")
        while rel not in ("", ".", "/"):
            rel = posixpath.dirname(rel)
            if rel and fnmatch.fnmatchcase("path:" + rel, pattern):
                return True
        return False
    if pattern.startswith("host:") and target.startswith("host:"):
        p_host, _, p_port = pattern.removeprefix("host:").rpartition(":")
        t_host, _, t_port = target.removeprefix("host:").rpartition(":")
        if not fnmatch.fnmatchcase(t_port, p_port or "*"):
            return False
        address = _address(t_host)
        if address is None:
            return False
        try:
            networks = [ipaddress.ip_network(p_host.strip("[]"), strict=False)]
        except ValueError:
            plain = p_host.strip().lower().rstrip(".")
            if resolve is None or not plain or any(c in plain for c in "*?[]"):
                return False
            found = (_address(a) for a in resolve(plain))
            networks = [ipaddress.ip_network(a) for a in found if a is not None]
        mapped = getattr(address, "ipv4_mapped", None)
        return any(address in n or (mapped is not None and mapped in n) for n in networks)
    return False


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


RULE_LOOKUP_TIMEOUT = 3.0


def rule_host_addresses(name: str) -> list[str]:
    """The addresses a deny rule's host name resolves to, asked when a request runs; a lookup
    that fails or hangs gives none (the request's own addresses still meet every other rule)."""
    box: list[list[str]] = []

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError):
            infos = []
        box.append([str(info[4][0]) for info in infos])

    worker = threading.Thread(target=lookup, name=f"deny-rule-{name}", daemon=True)
    worker.start()
    worker.join(RULE_LOOKUP_TIMEOUT)
    return box[0] if box else []
