"""Resources declared in __main__.py, in a module it imports, and inside a component."""

import pulumi_aws as aws
import storage
from components import Service

aws.sqs.Queue("jobs")
storage.bucket("assets")
Service("api")
