import pulumi
from service import Service

service = Service("orders", memory_size=512)

pulumi.export("functionName", service.function_name)
