"""A secret source and a DNS answer for previews: no keyring and no lookup leave the test."""

from __future__ import annotations


class Secrets:
    def value(self, name: str) -> str | None:
        return "s3cr3t-value-never-shown" if name == "shop" else None

    def hosts(self, name: str) -> tuple[str, ...]:
        return ("shop.example.com",) if name == "shop" else ()


def fixed_dns(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]
