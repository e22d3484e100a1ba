#!/usr/bin/env python3
"""Checks that the SAM templates under deploy/ keep the settings tower-lambda depends on.

cfn-lint checks that each template is valid CloudFormation; this checks what a valid template can
still get wrong for tower-lambda: Binary Media Types on a REST API, the streaming invoke mode and
TOWER_LAMBDA_RESPONSE_MODE together, the multi-value attribute of ALB target groups, explicit
payload format versions on HTTP API integrations, explicit event structure versions on VPC Lattice
target groups (and Lattice's permission to invoke), the route selection expression and the four
routes of a WebSocket API, partial batch responses on SQS event sources, TOWER_LAMBDA_EVENTS_PATH
on functions that take non-HTTP events, and a cargo-lambda build of a workspace binary for every
function.

Then it tests itself: each mutation below drops or changes one of those settings in memory, and
the checks must fail on the mutated template.

    python3 deploy/check_templates.py [DIR]    # DIR: the folder of <name>/template.yaml (deploy/)

Needs cfn-lint (its YAML loader reads the short-form intrinsics such as !Ref). The last line is
`N passed, M failed`; the exit status is 1 when anything failed.
"""

from __future__ import annotations

import copy
import json
import pathlib
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

from cfnlint.decode import decode

STREAMING_VARIABLE = "TOWER_LAMBDA_RESPONSE_MODE"
MULTI_VALUE_ATTRIBUTE = "lambda.multi_value_headers.enabled"
# VPC Lattice target groups of type LAMBDA: the event structure versions tower-lambda reads.
LATTICE_VERSIONS = {"V1", "V2"}
LATTICE_PRINCIPAL = "vpc-lattice.amazonaws.com"
ARCHITECTURES = {"x86_64", "arm64"}
# The frame's "action" picks the route; tower-lambda's chat example serves these route keys.
ROUTE_SELECTION = "$request.body.action"
WEBSOCKET_ROUTES = {"$connect", "$disconnect", "$default", "sendmessage"}
# Non-HTTP events reach the app as POST <events path>/<kind> only when an events path is set.
EVENTS_VARIABLE = "TOWER_LAMBDA_EVENTS_PATH"
# SAM event types whose events are not HTTP requests (they need the events path).
NON_HTTP_EVENTS = {
    "SQS", "SNS", "S3", "DynamoDB", "Kinesis", "MSK", "SelfManagedKafka", "MQ", "Schedule",
    "ScheduleV2", "EventBridgeRule", "CloudWatchEvent", "CloudWatchLogs", "DocumentDB", "IoTRule",
    "Cognito", "AlexaSkill",
}

# What each template must deploy, besides the rules every template follows.
EXPECTED = {
    "hello-rest-api": {"binary": "hello", "rest_stage": "prod"},
    "hello-http-api": {"binary": "hello", "http_api": True},
    "hello-function-url": {"binary": "hello", "function_url": "BUFFERED"},
    "hello-alb": {"binary": "hello", "alb": True},
    "hello-vpc-lattice": {"binary": "hello", "lattice": True},
    "sse-function-url": {"binary": "sse", "function_url": "RESPONSE_STREAM"},
    "download-function-url": {"binary": "download", "function_url": "RESPONSE_STREAM"},
    "chat-websocket": {"binary": "chat", "websocket": True},
    "worker": {"binary": "worker", "events": "/events"},
}


class Results:
    def __init__(self) -> None:
        self.checks: list[tuple[str, bool, str]] = []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, bool(ok), detail))
        return bool(ok)

    @property
    def failed(self) -> list[tuple[str, bool, str]]:
        return [c for c in self.checks if not c[1]]


# ---------------------------------------------------------------------------------------------
# Reading templates


def load_templates(directory: pathlib.Path) -> dict[str, tuple[pathlib.Path, dict]]:
    templates = {}
    for path in sorted(directory.glob("*/template.yaml")):
        template, matches = decode(str(path))
        if matches or template is None:
            raise SystemExit(f"{path}: cannot be read: {[str(m) for m in matches]}")
        # Plain dicts, lists and strings (the loader's node types carry line marks).
        templates[path.parent.name] = (path, json.loads(json.dumps(template)))
    return templates


def resources(template: dict, type_name: str) -> dict[str, dict]:
    return {
        name: resource
        for name, resource in (template.get("Resources") or {}).items()
        if isinstance(resource, dict) and resource.get("Type") == type_name
    }


def merged(base, override):
    """SAM's Globals merge, as far as these templates need it: maps merge, the rest overrides."""
    if isinstance(base, dict) and isinstance(override, dict):
        result = dict(base)
        for key, value in override.items():
            result[key] = merged(base[key], value) if key in base else value
        return result
    return override


def function_properties(template: dict, function: dict) -> dict:
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    return merged(globals_, function.get("Properties") or {})


def ref(value) -> str | None:
    return value.get("Ref") if isinstance(value, dict) and len(value) == 1 else None


def depends_on(resource: dict) -> list[str]:
    value = resource.get("DependsOn") or []
    return [value] if isinstance(value, str) else list(value)


def read_toml(path: pathlib.Path) -> dict:
    if tomllib is None:
        raise SystemExit("Python 3.11 or later is needed (tomllib)")
    with path.open("rb") as file:
        return tomllib.load(file)


def workspace_root(start: pathlib.Path) -> pathlib.Path | None:
    for directory in [start, *start.parents]:
        manifest = directory / "Cargo.toml"
        if manifest.is_file() and "workspace" in read_toml(manifest):
            return directory
    return None


# ---------------------------------------------------------------------------------------------
# The checks


def check_functions(results: Results, name: str, path: pathlib.Path, template: dict) -> None:
    functions = resources(template, "AWS::Serverless::Function")
    results.check(f"{name}: has a function", functions)
    parameters = template.get("Parameters") or {}
    for logical_id, function in functions.items():
        where = f"{name}: {logical_id}"
        properties = function_properties(template, function)
        metadata = function.get("Metadata") or {}
        results.check(
            f"{where}: Metadata BuildMethod is rust-cargolambda",
            metadata.get("BuildMethod") == "rust-cargolambda",
            f"got {metadata.get('BuildMethod')!r}",
        )
        binary = (metadata.get("BuildProperties") or {}).get("Binary")
        results.check(
            f"{where}: BuildProperties Binary names the binary", isinstance(binary, str), f"got {binary!r}"
        )
        results.check(
            f"{where}: Runtime provided.al2023",
            properties.get("Runtime") == "provided.al2023",
            f"got {properties.get('Runtime')!r}",
        )
        results.check(
            f"{where}: Handler bootstrap",
            properties.get("Handler") == "bootstrap",
            f"got {properties.get('Handler')!r}",
        )

        # Architectures: one of both, literally or through a parameter that offers both.
        architectures = properties.get("Architectures")
        ok, detail = False, f"got {architectures!r}"
        if isinstance(architectures, list) and len(architectures) == 1:
            parameter = ref(architectures[0])
            if parameter is None:
                ok = architectures[0] in ARCHITECTURES
            else:
                declared = parameters.get(parameter) or {}
                allowed = set(declared.get("AllowedValues") or [])
                ok = allowed == ARCHITECTURES and declared.get("Default") in ARCHITECTURES
                detail = f"parameter {parameter}: AllowedValues {sorted(allowed)}, Default {declared.get('Default')!r}"
        results.check(f"{where}: Architectures x86_64 or arm64 (a parameter offers both)", ok, detail)

        # CodeUri: the folder of the workspace member that builds the binary.
        code_uri = properties.get("CodeUri")
        package = (path.parent / code_uri).resolve() if isinstance(code_uri, str) else None
        manifest = package / "Cargo.toml" if package else None
        if not results.check(
            f"{where}: CodeUri {code_uri} is a Cargo package",
            manifest is not None and manifest.is_file(),
            f"no Cargo.toml in {package}",
        ):
            continue
        cargo = read_toml(manifest)
        binaries = {b.get("name") for b in cargo.get("bin", [])} | {(cargo.get("package") or {}).get("name")}
        results.check(
            f"{where}: package at CodeUri builds binary {binary}",
            binary in binaries,
            f"binaries {sorted(map(str, binaries))}",
        )
        root = workspace_root(package)
        members = []
        if root is not None:
            members = [
                (root / m).resolve() for m in read_toml(root / "Cargo.toml")["workspace"].get("members", [])
            ]
        results.check(
            f"{where}: package at CodeUri is a workspace member", package in members, f"workspace {root}"
        )
        expected = EXPECTED.get(name, {}).get("binary")
        if expected:
            results.check(f"{where}: deploys the {expected} example", binary == expected, f"got {binary!r}")


def check_rest_apis(results: Results, name: str, template: dict) -> None:
    apis = resources(template, "AWS::Serverless::Api")
    stage = EXPECTED.get(name, {}).get("rest_stage")
    if stage:
        results.check(f"{name}: has a REST API (AWS::Serverless::Api)", apis)
    for logical_id, api in apis.items():
        where = f"{name}: {logical_id}"
        properties = api.get("Properties") or {}
        types = properties.get("BinaryMediaTypes") or []
        # SAM spells "/" as "~1" in BinaryMediaTypes.
        spelled = [t.replace("~1", "/") for t in types if isinstance(t, str)]
        results.check(f"{where}: BinaryMediaTypes include */*", "*/*" in spelled, f"got {types!r}")
        if stage:
            results.check(
                f"{where}: StageName {stage}",
                properties.get("StageName") == stage,
                f"got {properties.get('StageName')!r}",
            )
        # Every path reaches the router: ANY on / and on /{proxy+}.
        routes = set()
        for function in resources(template, "AWS::Serverless::Function").values():
            for event in ((function.get("Properties") or {}).get("Events") or {}).values():
                event_properties = event.get("Properties") or {}
                if event.get("Type") == "Api" and ref(event_properties.get("RestApiId")) == logical_id:
                    routes.add(
                        (event_properties.get("Path"), str(event_properties.get("Method", "")).upper())
                    )
        results.check(
            f"{where}: ANY / and ANY /{{proxy+}} go to the function",
            {("/", "ANY"), ("/{proxy+}", "ANY")} <= routes,
            f"routes {sorted(routes)}",
        )


def check_http_apis(results: Results, name: str, template: dict) -> None:
    apis = resources(template, "AWS::Serverless::HttpApi")
    seen = []  # (payload version, stage)
    for function_id, function in resources(template, "AWS::Serverless::Function").items():
        for event_id, event in ((function.get("Properties") or {}).get("Events") or {}).items():
            if event.get("Type") != "HttpApi":
                continue
            where = f"{name}: {function_id} event {event_id}"
            properties = event.get("Properties") or {}
            version = properties.get("PayloadFormatVersion")
            results.check(
                f"{where}: PayloadFormatVersion set to 1.0 or 2.0",
                version in ("1.0", "2.0"),
                f"got {version!r}",
            )
            results.check(
                f"{where}: the API's $default route (no Path and Method)",
                "Path" not in properties and "Method" not in properties,
                f"Path {properties.get('Path')!r}, Method {properties.get('Method')!r}",
            )
            api_id = ref(properties.get("ApiId"))
            api = apis.get(api_id)
            if results.check(
                f"{where}: ApiId names an AWS::Serverless::HttpApi of the template",
                api is not None,
                f"got {api_id!r}",
            ):
                seen.append((version, (api.get("Properties") or {}).get("StageName", "$default")))
    if EXPECTED.get(name, {}).get("http_api"):
        results.check(
            f"{name}: payload 2.0 on a $default stage", ("2.0", "$default") in seen, f"integrations {seen}"
        )
        results.check(
            f"{name}: payload 2.0 on a named stage",
            any(v == "2.0" and s != "$default" for v, s in seen),
            f"integrations {seen}",
        )
        results.check(
            f"{name}: a payload 1.0 integration", any(v == "1.0" for v, _ in seen), f"integrations {seen}"
        )


def check_function_urls(results: Results, name: str, template: dict) -> None:
    expected = EXPECTED.get(name, {}).get("function_url")
    urls = 0
    for function_id, function in resources(template, "AWS::Serverless::Function").items():
        properties = function_properties(template, function)
        config = properties.get("FunctionUrlConfig")
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        streaming = str(variables.get(STREAMING_VARIABLE, "")).lower() in ("streaming", "stream")
        where = f"{name}: {function_id}"
        if config is None:
            continue
        urls += 1
        mode = config.get("InvokeMode", "BUFFERED")
        results.check(
            f"{where}: FunctionUrlConfig AuthType set",
            config.get("AuthType") in ("NONE", "AWS_IAM"),
            f"got {config.get('AuthType')!r}",
        )
        # Streaming needs both: the URL in RESPONSE_STREAM mode, and tower-lambda streaming.
        results.check(
            f"{where}: InvokeMode RESPONSE_STREAM if and only if {STREAMING_VARIABLE}=streaming",
            (mode == "RESPONSE_STREAM") == streaming,
            f"InvokeMode {config.get('InvokeMode')!r}, {STREAMING_VARIABLE} {variables.get(STREAMING_VARIABLE)!r}",
        )
        if expected:
            results.check(
                f"{where}: InvokeMode {expected}",
                config.get("InvokeMode") == expected,
                f"got {config.get('InvokeMode')!r}",
            )
            if expected == "RESPONSE_STREAM":
                results.check(
                    f"{where}: Environment {STREAMING_VARIABLE}=streaming",
                    variables.get(STREAMING_VARIABLE) == "streaming",
                    f"got {variables.get(STREAMING_VARIABLE)!r}",
                )
    if expected:
        results.check(f"{name}: has a Function URL", urls > 0)


def check_load_balancers(results: Results, name: str, template: dict) -> None:
    groups = {
        logical_id: group
        for logical_id, group in resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup").items()
        if (group.get("Properties") or {}).get("TargetType") == "lambda"
    }
    permissions = {
        logical_id
        for logical_id, permission in resources(template, "AWS::Lambda::Permission").items()
        if (permission.get("Properties") or {}).get("Principal") == "elasticloadbalancing.amazonaws.com"
    }
    values = []
    for logical_id, group in groups.items():
        where = f"{name}: {logical_id}"
        attributes = {
            a.get("Key"): a.get("Value")
            for a in (group.get("Properties") or {}).get("TargetGroupAttributes") or []
        }
        value = attributes.get(MULTI_VALUE_ATTRIBUTE)
        if results.check(
            f"{where}: {MULTI_VALUE_ATTRIBUTE} set", value in ("true", "false"), f"attributes {attributes}"
        ):
            values.append(value)
        results.check(
            f"{where}: depends on the permission for elasticloadbalancing.amazonaws.com",
            permissions & set(depends_on(group)),
            f"DependsOn {depends_on(group)}, permissions {sorted(permissions)}",
        )
    if EXPECTED.get(name, {}).get("alb"):
        results.check(
            f"{name}: a target group with multi-value headers off", "false" in values, f"values {values}"
        )
        results.check(
            f"{name}: a target group with multi-value headers on", "true" in values, f"values {values}"
        )
        parameters = template.get("Parameters") or {}
        types = {p.get("Type") for p in parameters.values() if isinstance(p, dict)}
        results.check(
            f"{name}: the VPC is a parameter",
            "AWS::EC2::VPC::Id" in types,
            f"parameter types {sorted(map(str, types))}",
        )
        results.check(
            f"{name}: the subnets are a parameter",
            "List<AWS::EC2::Subnet::Id>" in types,
            f"parameter types {sorted(map(str, types))}",
        )
        forwarded = set()
        for listener in resources(template, "AWS::ElasticLoadBalancingV2::Listener").values():
            for action in (listener.get("Properties") or {}).get("DefaultActions") or []:
                forwarded.add(ref(action.get("TargetGroupArn")))
        results.check(
            f"{name}: a listener forwards to each target group",
            set(groups) <= forwarded,
            f"forwarded {sorted(map(str, forwarded))}",
        )


def names_resource(value, logical_ids) -> str | None:
    """The resource of `logical_ids` that `!Ref X` or `!GetAtt X.Arn` names, if any."""
    target = ref(value)
    if target is None:
        attribute = get_att(value)
        target = attribute[0] if attribute is not None and attribute[1:] == ["Arn"] else None
    return target if target in logical_ids else None


def check_lattice(results: Results, name: str, template: dict) -> None:
    expected = EXPECTED.get(name, {}).get("lattice")
    groups = resources(template, "AWS::VpcLattice::TargetGroup")
    functions = set(resources(template, "AWS::Serverless::Function"))
    permissions = [
        permission.get("Properties") or {}
        for permission in resources(template, "AWS::Lambda::Permission").values()
        if (permission.get("Properties") or {}).get("Principal") == LATTICE_PRINCIPAL
    ]
    versions = []
    for logical_id, group in groups.items():
        where = f"{name}: {logical_id}"
        properties = group.get("Properties") or {}
        # Only a LAMBDA target group sends events; the Lattice template's groups all must.
        if expected:
            results.check(
                f"{where}: Type LAMBDA", properties.get("Type") == "LAMBDA", f"got {properties.get('Type')!r}"
            )
        if properties.get("Type") != "LAMBDA":
            continue
        version = (properties.get("Config") or {}).get("LambdaEventStructureVersion")
        if results.check(
            f"{where}: Config LambdaEventStructureVersion set to V1 or V2",
            version in LATTICE_VERSIONS,
            f"got {version!r}",
        ):
            versions.append(version)
        targets = [
            names_resource(target.get("Id"), functions) for target in properties.get("Targets") or []
        ]
        function = targets[0] if len(targets) == 1 else None
        results.check(
            f"{where}: targets a function of the template (one target)",
            function is not None,
            f"Targets {properties.get('Targets')!r}",
        )
        # The invoke permission, scoped to this target group, for the function it targets.
        permitted = [
            permission
            for permission in permissions
            if function is not None
            and names_resource(permission.get("SourceArn"), {logical_id})
            and names_resource(permission.get("FunctionName"), {function})
            and permission.get("Action") == "lambda:InvokeFunction"
        ]
        results.check(
            f"{where}: a permission lets {LATTICE_PRINCIPAL} invoke the function (SourceArn this group)",
            permitted,
            f"{len(permissions)} permissions for {LATTICE_PRINCIPAL}",
        )
    if expected:
        results.check(f"{name}: has a VPC Lattice target group", groups)
        results.check(
            f"{name}: a target group with event structure V1", "V1" in versions, f"versions {versions}"
        )
        results.check(
            f"{name}: a target group with event structure V2", "V2" in versions, f"versions {versions}"
        )
        parameters = template.get("Parameters") or {}
        vpcs = {
            parameter
            for parameter, declared in parameters.items()
            if isinstance(declared, dict) and declared.get("Type") == "AWS::EC2::VPC::Id"
        }
        results.check(f"{name}: the VPC is a parameter", vpcs, f"parameters {sorted(parameters)}")
        # The services each forward to a target group, and the VPC's clients reach them through
        # one service network.
        networks = set(resources(template, "AWS::VpcLattice::ServiceNetwork"))
        vpc_associations = [
            (
                ref((a.get("Properties") or {}).get("VpcIdentifier")),
                names_resource((a.get("Properties") or {}).get("ServiceNetworkIdentifier"), networks),
            )
            for a in resources(template, "AWS::VpcLattice::ServiceNetworkVpcAssociation").values()
        ]
        reachable = {network for vpc, network in vpc_associations if vpc in vpcs and network}
        results.check(
            f"{name}: a service network of the template is associated with the VPC parameter",
            reachable,
            f"VPC associations (VPC, service network) {vpc_associations}",
        )
        services = set(resources(template, "AWS::VpcLattice::Service"))
        in_network = {
            names_resource((a.get("Properties") or {}).get("ServiceIdentifier"), services)
            for a in resources(template, "AWS::VpcLattice::ServiceNetworkServiceAssociation").values()
            if names_resource((a.get("Properties") or {}).get("ServiceNetworkIdentifier"), reachable)
        } - {None}
        forwarded = set()
        for listener in resources(template, "AWS::VpcLattice::Listener").values():
            properties = listener.get("Properties") or {}
            if names_resource(properties.get("ServiceIdentifier"), in_network):
                forward = (properties.get("DefaultAction") or {}).get("Forward") or {}
                for target in forward.get("TargetGroups") or []:
                    forwarded.add(names_resource(target.get("TargetGroupIdentifier"), set(groups)))
        results.check(
            f"{name}: a listener of a service in that network forwards to each target group",
            set(groups) <= forwarded,
            f"forwarded {sorted(map(str, forwarded))}, services in the network {sorted(map(str, in_network))}",
        )


def integration_target(target) -> str | None:
    """The integration a route's Target names: `integrations/${Id}` (Fn::Sub) or a Join of the two."""
    if isinstance(target, dict) and isinstance(target.get("Fn::Sub"), str):
        text = target["Fn::Sub"]
        if text.startswith("integrations/${") and text.endswith("}"):
            return text[len("integrations/${") : -1]
    if isinstance(target, dict) and isinstance(target.get("Fn::Join"), list) and len(target["Fn::Join"]) == 2:
        separator, parts = target["Fn::Join"]
        if separator == "/" and isinstance(parts, list) and len(parts) == 2 and parts[0] == "integrations":
            return ref(parts[1])
    return None


def check_websocket_apis(results: Results, name: str, template: dict) -> None:
    apis = {
        logical_id: api
        for logical_id, api in resources(template, "AWS::ApiGatewayV2::Api").items()
        if (api.get("Properties") or {}).get("ProtocolType") == "WEBSOCKET"
    }
    if EXPECTED.get(name, {}).get("websocket"):
        results.check(f"{name}: has a WebSocket API (AWS::ApiGatewayV2::Api, ProtocolType WEBSOCKET)", apis)
    functions = set(resources(template, "AWS::Serverless::Function"))
    integrations = resources(template, "AWS::ApiGatewayV2::Integration")
    for logical_id, api in apis.items():
        where = f"{name}: {logical_id}"
        expression = (api.get("Properties") or {}).get("RouteSelectionExpression")
        results.check(
            f"{where}: RouteSelectionExpression {ROUTE_SELECTION}",
            expression == ROUTE_SELECTION,
            f"got {expression!r}",
        )
        # Each route a Lambda proxy integration of this API, to a function of the template.
        routes = set()
        for route_id, route in resources(template, "AWS::ApiGatewayV2::Route").items():
            properties = route.get("Properties") or {}
            if ref(properties.get("ApiId")) != logical_id:
                continue
            key = properties.get("RouteKey")
            integration_id = integration_target(properties.get("Target"))
            integration = (integrations.get(integration_id) or {}).get("Properties") or {}
            uri = json.dumps(integration.get("IntegrationUri"))
            proxied = (
                integration.get("IntegrationType") == "AWS_PROXY"
                and ref(integration.get("ApiId")) == logical_id
                and any(f"${{{f}.Arn}}" in uri or f'"{f}"' in uri for f in functions)
            )
            if results.check(
                f"{where}: route {key} is a Lambda proxy integration (AWS_PROXY) of a function",
                proxied,
                f"Target {properties.get('Target')!r}, integration {integration_id!r}: "
                f"{integration.get('IntegrationType')!r}",
            ):
                routes.add(key)
        results.check(
            f"{where}: routes {', '.join(sorted(WEBSOCKET_ROUTES))}",
            WEBSOCKET_ROUTES <= routes,
            f"routes {sorted(map(str, routes))}",
        )
        permitted = [
            permission
            for permission in resources(template, "AWS::Lambda::Permission").values()
            if (permission.get("Properties") or {}).get("Principal") == "apigateway.amazonaws.com"
            and logical_id in json.dumps((permission.get("Properties") or {}).get("SourceArn"))
        ]
        results.check(f"{where}: a permission lets the API invoke the function", permitted)


def function_events(function: dict) -> dict[str, dict]:
    events = (function.get("Properties") or {}).get("Events") or {}
    return {event_id: event for event_id, event in events.items() if isinstance(event, dict)}


def get_att(value) -> list | None:
    """`!GetAtt X.Arn` as [X, Arn] (the loader reads the short form as a list or a dotted string)."""
    target = value.get("Fn::GetAtt") if isinstance(value, dict) and len(value) == 1 else None
    if isinstance(target, str):
        target = target.split(".", 1)
    return target if isinstance(target, list) else None


def check_events(results: Results, name: str, template: dict) -> None:
    queues = set(resources(template, "AWS::SQS::Queue"))
    kinds = set()
    paths = []
    for function_id, function in resources(template, "AWS::Serverless::Function").items():
        events = function_events(function)
        variables = (function_properties(template, function).get("Environment") or {}).get("Variables") or {}
        for event_id, event in events.items():
            where = f"{name}: {function_id} event {event_id}"
            properties = event.get("Properties") or {}
            kinds.add(event.get("Type"))
            if event.get("Type") == "SQS":
                types = properties.get("FunctionResponseTypes") or []
                results.check(
                    f"{where}: FunctionResponseTypes [ReportBatchItemFailures] (partial batch responses)",
                    "ReportBatchItemFailures" in types,
                    f"got {types!r}",
                )
                queue = get_att(properties.get("Queue"))
                results.check(
                    f"{where}: Queue is the Arn of an AWS::SQS::Queue of the template",
                    queue is not None and queue[0] in queues and queue[1:] == ["Arn"],
                    f"got {properties.get('Queue')!r}",
                )
            if event.get("Type") in ("Schedule", "ScheduleV2"):
                expression = properties.get("Schedule") or properties.get("ScheduleExpression")
                results.check(
                    f"{where}: a cron(...) or rate(...) schedule",
                    isinstance(expression, str) and expression.startswith(("cron(", "rate(")),
                    f"got {expression!r}",
                )
        if any(event.get("Type") in NON_HTTP_EVENTS for event in events.values()):
            path = variables.get(EVENTS_VARIABLE)
            results.check(
                f"{name}: {function_id}: takes non-HTTP events, so Environment {EVENTS_VARIABLE} is a path other than /",
                isinstance(path, str) and path.strip("/") != "",
                f"got {path!r}",
            )
            paths.append(path)
    expected = EXPECTED.get(name, {}).get("events")
    if expected:
        results.check(f"{name}: an SQS event", "SQS" in kinds, f"event types {sorted(map(str, kinds))}")
        results.check(
            f"{name}: a schedule (Schedule or ScheduleV2 event)",
            kinds & {"Schedule", "ScheduleV2"},
            f"event types {sorted(map(str, kinds))}",
        )
        results.check(
            f"{name}: {EVENTS_VARIABLE}={expected}, the path the example routes",
            paths and all(p == expected for p in paths),
            f"got {paths!r}",
        )


def check_all(templates: dict[str, tuple[pathlib.Path, dict]]) -> Results:
    results = Results()
    for name in EXPECTED:
        results.check(f"{name}: template present", name in templates)
    for name, (path, template) in templates.items():
        results.check(
            f"{name}: SAM transform",
            template.get("Transform") == "AWS::Serverless-2016-10-31",
            f"got {template.get('Transform')!r}",
        )
        check_functions(results, name, path, template)
        check_rest_apis(results, name, template)
        check_http_apis(results, name, template)
        check_function_urls(results, name, template)
        check_load_balancers(results, name, template)
        check_lattice(results, name, template)
        check_websocket_apis(results, name, template)
        check_events(results, name, template)
    return results


# ---------------------------------------------------------------------------------------------
# Self-test: each mutation breaks one setting; the checks must then fail.


def first(template: dict, type_name: str, where=lambda resource: True) -> dict:
    for resource in resources(template, type_name).values():
        if where(resource):
            return resource
    raise LookupError(f"no {type_name}")


def streaming_function(template: dict) -> dict:
    return first(
        template, "AWS::Serverless::Function", lambda f: "FunctionUrlConfig" in (f.get("Properties") or {})
    )


def http_event(template: dict, version: str) -> dict:
    for function in resources(template, "AWS::Serverless::Function").values():
        for event in ((function.get("Properties") or {}).get("Events") or {}).values():
            if (
                event.get("Type") == "HttpApi"
                and (event.get("Properties") or {}).get("PayloadFormatVersion") == version
            ):
                return event["Properties"]
    raise LookupError(f"no payload {version} event")


def event_of_type(template: dict, type_name: str) -> dict:
    """The Properties of the first event of `type_name`."""
    for function in resources(template, "AWS::Serverless::Function").values():
        for event in function_events(function).values():
            if event.get("Type") == type_name:
                return event["Properties"]
    raise LookupError(f"no {type_name} event")


def drop_events(template: dict, type_name: str) -> None:
    for function in resources(template, "AWS::Serverless::Function").values():
        events = (function.get("Properties") or {}).get("Events") or {}
        for event_id in [i for i, e in function_events(function).items() if e.get("Type") == type_name]:
            events.pop(event_id)


def events_function(template: dict) -> dict:
    return first(
        template,
        "AWS::Serverless::Function",
        lambda f: any(e.get("Type") in NON_HTTP_EVENTS for e in function_events(f).values()),
    )


def multi_value_group(template: dict, value: str) -> dict:
    def has(group):
        attributes = (group.get("Properties") or {}).get("TargetGroupAttributes") or []
        return {"Key": MULTI_VALUE_ATTRIBUTE, "Value": value} in attributes

    return first(template, "AWS::ElasticLoadBalancingV2::TargetGroup", has)["Properties"]


def lattice_group(template: dict, version: str) -> dict:
    """The Properties of the first Lattice target group with event structure `version`."""
    def has(group):
        config = (group.get("Properties") or {}).get("Config") or {}
        return config.get("LambdaEventStructureVersion") == version

    return first(template, "AWS::VpcLattice::TargetGroup", has)["Properties"]


def lattice_permission_ids(template: dict) -> list[str]:
    return [
        logical_id
        for logical_id, permission in resources(template, "AWS::Lambda::Permission").items()
        if (permission.get("Properties") or {}).get("Principal") == LATTICE_PRINCIPAL
    ]


def set_attribute(properties: dict, value: str) -> None:
    for attribute in properties["TargetGroupAttributes"]:
        if attribute["Key"] == MULTI_VALUE_ATTRIBUTE:
            attribute["Value"] = value


MUTATIONS = [
    (
        "hello-rest-api",
        "drop BinaryMediaTypes",
        lambda t: first(t, "AWS::Serverless::Api")["Properties"].pop("BinaryMediaTypes"),
    ),
    (
        "hello-rest-api",
        "BinaryMediaTypes image/png only",
        lambda t: first(t, "AWS::Serverless::Api")["Properties"].update(BinaryMediaTypes=["image~1png"]),
    ),
    (
        "hello-rest-api",
        "drop the /{proxy+} route",
        lambda t: first(t, "AWS::Serverless::Function")["Properties"]["Events"].pop("Proxy"),
    ),
    (
        "sse-function-url",
        "drop InvokeMode (BUFFERED by default)",
        lambda t: streaming_function(t)["Properties"]["FunctionUrlConfig"].pop("InvokeMode"),
    ),
    (
        "download-function-url",
        "InvokeMode BUFFERED",
        lambda t: streaming_function(t)["Properties"]["FunctionUrlConfig"].update(InvokeMode="BUFFERED"),
    ),
    (
        "sse-function-url",
        f"drop {STREAMING_VARIABLE}",
        lambda t: streaming_function(t)["Properties"]["Environment"]["Variables"].pop(STREAMING_VARIABLE),
    ),
    (
        "hello-function-url",
        "InvokeMode RESPONSE_STREAM without streaming on",
        lambda t: streaming_function(t)["Properties"]["FunctionUrlConfig"].update(
            InvokeMode="RESPONSE_STREAM"
        ),
    ),
    (
        "hello-alb",
        "multi-value headers off on both target groups",
        lambda t: set_attribute(multi_value_group(t, "true"), "false"),
    ),
    (
        "hello-alb",
        "drop the multi-value attribute",
        lambda t: multi_value_group(t, "false").pop("TargetGroupAttributes"),
    ),
    (
        "hello-alb",
        "target group without DependsOn the permission",
        lambda t: first(t, "AWS::ElasticLoadBalancingV2::TargetGroup").pop("DependsOn"),
    ),
    (
        "hello-vpc-lattice",
        "drop LambdaEventStructureVersion of the V2 target group (V1 by default)",
        lambda t: lattice_group(t, "V2")["Config"].pop("LambdaEventStructureVersion"),
    ),
    (
        "hello-vpc-lattice",
        "event structure V1 on both target groups",
        lambda t: lattice_group(t, "V2")["Config"].update(LambdaEventStructureVersion="V1"),
    ),
    (
        "hello-vpc-lattice",
        f"drop the permissions for {LATTICE_PRINCIPAL}",
        lambda t: [t["Resources"].pop(logical_id) for logical_id in lattice_permission_ids(t)],
    ),
    (
        "hello-vpc-lattice",
        f"a permission for {LATTICE_PRINCIPAL} without SourceArn",
        lambda t: t["Resources"][lattice_permission_ids(t)[0]]["Properties"].pop("SourceArn"),
    ),
    (
        "hello-vpc-lattice",
        "target group Type IP",
        lambda t: lattice_group(t, "V1").update(Type="IP"),
    ),
    (
        "hello-vpc-lattice",
        "no VPC association",
        lambda t: [
            t["Resources"].pop(logical_id)
            for logical_id in list(resources(t, "AWS::VpcLattice::ServiceNetworkVpcAssociation"))
        ],
    ),
    (
        "hello-http-api",
        "drop PayloadFormatVersion of the 1.0 integration",
        lambda t: http_event(t, "1.0").pop("PayloadFormatVersion"),
    ),
    (
        "hello-http-api",
        "payload 2.0 everywhere",
        lambda t: http_event(t, "1.0").update(PayloadFormatVersion="2.0"),
    ),
    (
        "hello-http-api",
        "no named stage",
        lambda t: [
            api["Properties"].pop("StageName", None)
            for api in resources(t, "AWS::Serverless::HttpApi").values()
        ],
    ),
    (
        "hello-function-url",
        "drop BuildMethod",
        lambda t: first(t, "AWS::Serverless::Function")["Metadata"].pop("BuildMethod"),
    ),
    (
        "download-function-url",
        "CodeUri one folder off",
        lambda t: first(t, "AWS::Serverless::Function")["Properties"].update(CodeUri="../examples/download"),
    ),
    (
        "sse-function-url",
        "Binary of another example",
        lambda t: first(t, "AWS::Serverless::Function")["Metadata"]["BuildProperties"].update(Binary="hello"),
    ),
    (
        "hello-rest-api",
        "runtime provided.al2",
        lambda t: t["Globals"]["Function"].update(Runtime="provided.al2"),
    ),
    (
        "hello-http-api",
        "a single architecture offered",
        lambda t: t["Parameters"]["Architecture"].update(AllowedValues=["x86_64"]),
    ),
    (
        "chat-websocket",
        "routes selected by $request.body.type",
        lambda t: first(t, "AWS::ApiGatewayV2::Api")["Properties"].update(
            RouteSelectionExpression="$request.body.type"
        ),
    ),
    (
        "chat-websocket",
        "drop the sendmessage route",
        lambda t: t["Resources"].pop(
            next(
                logical_id
                for logical_id, route in resources(t, "AWS::ApiGatewayV2::Route").items()
                if route["Properties"]["RouteKey"] == "sendmessage"
            )
        ),
    ),
    (
        "chat-websocket",
        "a non-proxy (AWS) integration",
        lambda t: first(t, "AWS::ApiGatewayV2::Integration")["Properties"].update(IntegrationType="AWS"),
    ),
    (
        "chat-websocket",
        "protocol HTTP",
        lambda t: first(t, "AWS::ApiGatewayV2::Api")["Properties"].update(ProtocolType="HTTP"),
    ),
    (
        "worker",
        "drop FunctionResponseTypes (no partial batch responses)",
        lambda t: event_of_type(t, "SQS").pop("FunctionResponseTypes"),
    ),
    (
        "worker",
        "the SQS event on a queue outside the template",
        lambda t: event_of_type(t, "SQS").update(Queue="arn:aws:sqs:us-east-1:123456789012:elsewhere"),
    ),
    (
        "worker",
        "drop the schedule",
        lambda t: drop_events(t, "Schedule"),
    ),
    (
        "worker",
        "a schedule that is not cron(...) or rate(...)",
        lambda t: event_of_type(t, "Schedule").update(Schedule="every night"),
    ),
    (
        "worker",
        f"drop {EVENTS_VARIABLE}",
        lambda t: events_function(t)["Properties"]["Environment"]["Variables"].pop(EVENTS_VARIABLE),
    ),
    (
        "worker",
        f"{EVENTS_VARIABLE}=/ (refused: events stay off)",
        lambda t: events_function(t)["Properties"]["Environment"]["Variables"].update(
            {EVENTS_VARIABLE: "/"}
        ),
    ),
    (
        "worker",
        f"{EVENTS_VARIABLE}=/jobs (not where the example routes)",
        lambda t: events_function(t)["Properties"]["Environment"]["Variables"].update(
            {EVENTS_VARIABLE: "/jobs"}
        ),
    ),
]


def self_test(templates: dict[str, tuple[pathlib.Path, dict]], results: Results) -> None:
    already = {check[0] for check in check_all(templates).failed}
    for name, description, mutate in MUTATIONS:
        label = f"self-test: {name} with {description} fails the checks"
        if name not in templates:
            results.check(label, False, "template missing")
            continue
        mutated = copy.deepcopy(templates)
        path, template = mutated[name]
        try:
            mutate(template)
        except (LookupError, TypeError) as error:
            results.check(label, False, f"cannot apply the mutation: {error!r}")
            continue
        caught = [check[0] for check in check_all(mutated).failed if check[0] not in already]
        if results.check(label, caught, "no check failed that passed before"):
            results.checks[-1] = (f"{label}: {'; '.join(caught)}", True, "")


def main(argv: list[str]) -> int:
    directory = pathlib.Path(argv[1]) if len(argv) > 1 else pathlib.Path(__file__).resolve().parent
    templates = load_templates(directory)
    print(f"{len(templates)} templates in {directory}: {', '.join(templates)}")
    results = check_all(templates)
    self_test(templates, results)
    for name, ok, detail in results.checks:
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok or not detail else f": {detail}"))
    failed = len(results.failed)
    print(f"{len(results.checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
