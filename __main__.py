"""The pack's entry point, run by `pulumi preview --policy-pack <this directory>`; it only builds the pack."""

from pulumi_policy import PolicyPack

from policypack.registry import PACK_DESCRIPTION, PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=list(POLICIES), description=PACK_DESCRIPTION, provider="aws")
