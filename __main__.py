"""The pack's entry point, run by `pulumi preview --policy-pack <this directory>`."""

from policypack.pack import serve

serve()
