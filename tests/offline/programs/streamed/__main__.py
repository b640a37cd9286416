"""Once its bucket is created, waits until the policy pack has analysed it: only a check that analyses each resource
as the program registers it, as the engine does, lets this program finish before its deadline."""

import os
import time
from pathlib import Path

import pulumi_aws as aws

DEADLINE_S = 60


def wait_for_analysis(_: object) -> None:
    analysed = Path(os.environ["OFFLINE_TEST_ANALYSED_DIR"]) / "first"
    deadline = time.monotonic() + DEADLINE_S
    while not analysed.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the pack had not analysed 'first' while the program ran")
        time.sleep(0.05)


first = aws.s3.Bucket("first")
first.arn.apply(wait_for_analysis)
aws.s3.Bucket("second", tags={"after": "first"})
