"""A program that raises and logs, inside an apply, a value it marked secret; no line of the check may repeat it."""

import pulumi


def fail(value: str) -> str:
    pulumi.log.error(f"bad token {value}")
    raise ValueError(f"token {value} rejected")


pulumi.Output.secret("ZQX-apply-secret-ZQX").apply(fail)
