"use strict";
// Runs a Node.js Pulumi program under its own @pulumi/pulumi's mocks, with the monitor's calls forwarded as
// protobuf bytes (JSON lines on two pipes) to the Python side, which answers them as it does for a Python program.
// `node capture_node.js REQUEST.json`, started by node_capture.py; POLICYPACK_CAPTURE_FDS names the pipes.
// Kept to syntax any Node.js parses, so that a too old one still reaches the version check.

var fs = require("fs");
var path = require("path");

var MIN_NODE = 20;
var request = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
var fds = process.env.POLICYPACK_CAPTURE_FDS.split(",").map(Number);
var known = [request.secretPlaceholder];
var failure = null;
var logFailure = null;
var finished = false;

function send(message) {
    fs.writeSync(fds[0], JSON.stringify(message) + "\n");
}

function scrub(text) {
    var out = String(text);
    known.slice().sort(function (a, b) { return b.length - a.length; }).forEach(function (value) {
        out = out.split(value).join("[secret]");
    });
    return out;
}

function fail(kind, type, message, detail) {
    if (failure === null) {
        failure = { kind: kind, type: type || "", message: message || "", traceback: detail || "" };
    }
}

function finish() {
    if (finished) {
        return;
    }
    finished = true;
    var error = failure;
    if (error !== null) {
        error = { kind: error.kind, type: error.type, message: scrub(error.message), traceback: scrub(error.traceback) };
    }
    send({ done: true, error: error });
}

process.on("exit", function (code) {
    if (code !== 0) {
        fail("program", "", "exited with code " + code, "");
    }
    finish();
});

function firstLine(text) {
    return String(text || "").trim().split("\n")[0].trim();
}

function describe(err) {
    if (err && err.name === "TSError" && err.diagnosticText) {
        fail("compile", "TSError", firstLine(err.diagnosticText), String(err.diagnosticText));
    } else if (err instanceof Error) {
        fail("program", err.name || "Error", firstLine(err.message), String(err.stack || ""));
    } else {
        fail("program", typeof err, firstLine(String(err)), "");
    }
}

function wrapOutput(stream) {
    var write = stream.write.bind(stream);
    stream.write = function (chunk) {
        var rest = Array.prototype.slice.call(arguments, 1);
        return write.apply(null, [typeof chunk === "string" ? scrub(chunk) : scrub(chunk.toString())].concat(rest));
    };
}

function resolveSdk() {
    var programDir = request.projectDir;
    var manifest;
    try {
        manifest = require.resolve("@pulumi/pulumi/package.json", { paths: [programDir] });
    } catch (err) {
        fail("setup", "", "no @pulumi/pulumi is installed for " + programDir + "; run npm install in " + programDir, "");
        return null;
    }
    var dir = path.dirname(manifest);
    var version = require(manifest).version;
    var needed = ["runtime/mocks.js", "runtime/settings.js", "cmd/run/run.js", "log/index.js", "output.js"];
    var missing = needed.filter(function (file) { return !fs.existsSync(path.join(dir, file)); });
    var settings = missing.length ? {} : require(path.join(dir, "runtime/settings.js"));
    var mocks = missing.length ? {} : require(path.join(dir, "runtime/mocks.js"));
    if (missing.length || typeof mocks.setMocks !== "function" || typeof settings.getMonitor !== "function" ||
        typeof settings.waitForRPCs !== "function") {
        fail("setup", "", "@pulumi/pulumi " + version + " in " + dir + " is too old for the offline check: it lacks " +
            "the mocks and run code the check runs the program with; install a current @pulumi/pulumi 3", "");
        return null;
    }
    return { dir: dir, settings: settings, mocks: mocks };
}

function Forwarder(resproto, provproto) {
    var pending = {};
    var nextId = 0;
    var readline = require("readline");
    // A socket, not fs.createReadStream: a blocked read in the thread pool would keep the process from exiting.
    var input = readline.createInterface({ input: new (require("net").Socket)({ fd: fds[1], readable: true }) });
    input.on("line", function (line) {
        var message = JSON.parse(line);
        var call = pending[message.id];
        delete pending[message.id];
        if (message.error !== undefined) {
            call.callback(new Error(message.error), undefined);
        } else {
            call.callback(null, call.type.deserializeBinary(Buffer.from(message.response, "base64")));
        }
    });
    this.forward = function (method, type) {
        return function (req, callback) {
            var id = nextId++;
            pending[id] = { callback: callback, type: type };
            send({ id: id, method: method, request: Buffer.from(req.serializeBinary()).toString("base64") });
        };
    };
    this.install = function (monitor) {
        monitor.registerResource = this.forward("RegisterResource", resproto.RegisterResourceResponse);
        monitor.readResource = this.forward("ReadResource", resproto.ReadResourceResponse);
        monitor.invoke = this.forward("Invoke", provproto.InvokeResponse);
        monitor.registerResourceOutputs = this.forward("RegisterResourceOutputs", { deserializeBinary: function () {
            return {};
        } });
    };
}

function recordSecrets(sdkDir) {
    var output = require(path.join(sdkDir, "output.js"));
    var original = output.secret;
    output.secret = function (value) {
        var result = original(value);
        result.apply(function (plain) {
            if (typeof plain === "string" && plain) {
                known.push(plain);
            }
        });
        return result;
    };
}

function recordLoggedErrors(sdkDir) {
    var log = require(path.join(sdkDir, "log/index.js"));
    var original = log.error;
    log.error = function (message) {
        fail("log", "error", firstLine(message), String(message));
        logFailure = failure;
        return original.apply(log, arguments);
    };
}

function loadRun(sdkDir) {
    // run.js requires its package's index.js, the language host's entry point, which would start a run of its
    // own: it gets the one constant run.js reads from it instead.
    var Module = require("module");
    var index = path.join(sdkDir, "cmd/run/index.js");
    var stub = new Module(index);
    stub.filename = index;
    stub.loaded = true;
    stub.exports = { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 };
    require.cache[index] = stub;
    return require(path.join(sdkDir, "cmd/run/run.js"));
}

async function main() {
    var major = Number(process.versions.node.split(".")[0]);
    if (major < MIN_NODE) {
        fail("setup", "", "Node.js " + process.versions.node + " is too old for the offline check; it needs Node.js " +
            MIN_NODE + " or later", "");
        return;
    }
    var sdk = resolveSdk();
    if (sdk === null) {
        return;
    }
    wrapOutput(process.stdout);
    wrapOutput(process.stderr);
    require(require.resolve("source-map-support/register", { paths: [sdk.dir] }));
    recordSecrets(sdk.dir);
    recordLoggedErrors(sdk.dir);
    await sdk.mocks.setMocks({
        newResource: function () { return { id: "", state: {} }; },
        call: function () { return {}; },
    }, request.project, request.stack, request.preview, request.organization);
    var forwarder = new Forwarder(require(path.join(sdk.dir, "proto/resource_pb.js")),
        require(path.join(sdk.dir, "proto/provider_pb.js")));
    forwarder.install(sdk.settings.getMonitor());
    var run = loadRun(sdk.dir);
    // An error nothing handles (a throw inside an apply, say) fails the program, as it fails `pulumi preview`;
    // left to the run's own handler under mocks, each one it logs raised another, without end.
    ["uncaughtException", "unhandledRejection"].forEach(function (event) {
        process.prependListener(event, function (err) {
            describe(err);
            finish();
            process.exit(0);
        });
    });
    var reported = new Set();
    try {
        await run.run({ _: [request.main] }, function () { return undefined; }, function (err) {
            // The run's handler of uncaught errors logs them first: the error itself says more.
            reported.add(err);
            if (failure !== null && failure === logFailure) {
                failure = null;
            }
            describe(err);
        }, function (err) { return reported.has(err); });
    } catch (err) {
        describe(err);
    }
    await sdk.settings.waitForRPCs();
}

main().then(function () {
    finish();
    process.exit(0);
}, function (err) {
    describe(err);
    finish();
    process.exit(0);
});
