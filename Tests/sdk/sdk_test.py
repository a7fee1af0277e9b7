# The unmodified python-dockercloud 1.0.12 SDK against a real docker-cloud-server.
# Runs under Python 2.7 or 3. Usage: sdk_test.py PATH/TO/docker-cloud-server
from __future__ import print_function

import json
import os
import re
import subprocess
import sys
import threading
import time
import traceback

SERVER = sys.argv[1]
proc = subprocess.Popen([SERVER, "--listen", "127.0.0.1:0", "--in-memory", "--user", "sdkuser:sdkkey",
                         "--nodes", "3", "--delay", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
port = None
deadline = time.time() + 30
while time.time() < deadline:
    line = proc.stdout.readline().decode("utf-8")
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    if m:
        port = str(m.group(1))
        break
if not port:
    print("server did not start: " + proc.stderr.read().decode("utf-8"))
    sys.exit(1)

# The SDK reads its configuration from the environment when it is imported.
os.environ["DOCKERCLOUD_REST_HOST"] = "http://127.0.0.1:%s/" % port
os.environ["DOCKERCLOUD_STREAM_HOST"] = "ws://127.0.0.1:%s/" % port
os.environ["DOCKERCLOUD_USER"] = "sdkuser"
os.environ["DOCKERCLOUD_APIKEY"] = "sdkkey"
import dockercloud  # noqa: E402

passed, failed = [], []


def check(name, fn):
    try:
        fn()
        passed.append(name)
        print("ok   " + name)
    except Exception:
        failed.append(name)
        print("FAIL " + name)
        traceback.print_exc()


def wait_for(fetch, want, timeout=15):
    deadline = time.time() + timeout
    obj = fetch()
    while obj.state not in want and time.time() < deadline:
        time.sleep(0.1)
        obj = fetch()
    assert obj.state in want, "state %r, wanted %r" % (obj.state, want)
    return obj


def service_lifecycle():
    svc = dockercloud.Service.create(image="busybox", name="sdkweb", target_num_containers=2,
                                     run_command="sh -c 'echo started; sleep 600'")
    assert svc.save()
    assert svc.state == "Not running"
    names = [s.name for s in dockercloud.Service.list()]
    assert "sdkweb" in names, names
    assert svc.start()
    svc = wait_for(lambda: dockercloud.Service.fetch(svc.uuid), ["Running"])
    assert svc.current_num_containers == 2, svc.current_num_containers
    svc.target_num_containers = 3
    assert svc.save()
    assert svc.scale()
    svc = wait_for(lambda: dockercloud.Service.fetch(svc.uuid), ["Running"])
    deadline = time.time() + 10
    while dockercloud.Service.fetch(svc.uuid).running_num_containers != 3 and time.time() < deadline:
        time.sleep(0.1)
    assert dockercloud.Service.fetch(svc.uuid).running_num_containers == 3
    containers = dockercloud.Container.list(service=svc.resource_uri)
    assert sorted(c.name for c in containers) == ["sdkweb-1", "sdkweb-2", "sdkweb-3"], [c.name for c in containers]
    assert svc.stop()
    wait_for(lambda: dockercloud.Service.fetch(svc.uuid), ["Stopped"])
    assert svc.delete()
    wait_for(lambda: dockercloud.Service.fetch(svc.uuid), ["Terminated"])


def stack_lifecycle():
    stack = dockercloud.Stack.create(name="sdkstack", services=[
        {"name": "web", "image": "busybox", "target_num_containers": 2, "run_command": "sleep 600",
         "linked_to_service": [{"to_service": "db", "name": "DB"}]},
        {"name": "db", "image": "busybox", "run_command": "sleep 600", "container_ports": [{"protocol": "tcp", "inner_port": 5432}]},
    ])
    assert stack.save()
    assert stack.state == "Not Running", stack.state
    assert len(stack.services) == 2
    assert "sdkstack" in [s.name for s in dockercloud.Stack.list()]
    assert stack.start()
    wait_for(lambda: dockercloud.Stack.fetch(stack.uuid), ["Running"])
    web = dockercloud.Service.list(name="web", stack=stack.resource_uri)[0]
    assert web.linked_to_service[0]["name"] == "DB"
    container = dockercloud.Container.list(service=web.resource_uri)[0]
    envs = dict((e["key"], e["value"]) for e in container.container_envvars)
    assert envs.get("DB_PORT_5432_TCP_PORT") == "5432", sorted(envs)
    exported = stack.export()
    assert exported["web"]["links"] == ["db:DB"], exported
    assert stack.stop()
    wait_for(lambda: dockercloud.Stack.fetch(stack.uuid), ["Stopped"])
    assert stack.delete()
    wait_for(lambda: dockercloud.Stack.fetch(stack.uuid), ["Terminated"])


def container_logs():
    svc = dockercloud.Service.create(image="busybox", name="logger", run_command="sh -c 'for i in one two three; do echo line-$i; done'")
    svc.save()
    svc.start()
    deadline = time.time() + 10
    while time.time() < deadline:
        cs = dockercloud.Container.list(service=svc.resource_uri)
        if cs and cs[0].state == "Stopped":
            break
        time.sleep(0.1)
    container = dockercloud.Container.list(service=svc.resource_uri)[0]
    assert container.exit_code == 0, container.exit_code
    lines = []
    container.logs(tail=300, follow=False, log_handler=lambda m: lines.append(json.loads(m)))
    assert [l["log"] for l in lines] == ["line-one\n", "line-two\n", "line-three\n"], lines
    assert all(l["streamType"] == "stdout" and l["source"] == "logger-1" for l in lines), lines
    service_lines = []
    svc.logs(tail=2, follow=False, log_handler=lambda m: service_lines.append(json.loads(m)["log"]))
    assert service_lines == ["line-two\n", "line-three\n"], service_lines


def follow_logs():
    svc = dockercloud.Service.create(image="busybox", name="ticker", run_command="sh -c 'echo first; sleep 1; echo second; sleep 600'")
    svc.save()
    svc.start()
    wait_for(lambda: dockercloud.Service.fetch(svc.uuid), ["Running"])
    container = dockercloud.Container.list(service=svc.resource_uri)[0]
    got = []
    logs = dockercloud.api.base.StreamingLog("app", "container", container.uuid, 10, True)

    def handler(message):
        got.append(json.loads(message)["log"])
        if len(got) == 2:
            logs_ws[0].close()
    logs_ws = []
    import websocket
    ws = websocket.WebSocketApp(logs.url, header=logs.header, on_message=lambda w, m: handler(m))
    logs_ws.append(ws)
    timer = threading.Timer(10, ws.close)
    timer.start()
    ws.run_forever()
    timer.cancel()
    assert got == ["first\n", "second\n"], got


def events():
    received = []
    ev = dockercloud.Events()

    def on_message(message):
        received.append(json.loads(message))
        if any(e["type"] == "service" and e["action"] == "create" for e in received):
            ev._on_stop(None, None)
    ev.on_message(on_message)

    def act():
        time.sleep(1)
        dockercloud.Service.create(image="busybox", name="eventful").save()
    threading.Thread(target=act).start()
    stopper = threading.Timer(15, lambda: ev._on_stop(None, None))
    stopper.start()
    ev.run_forever()
    stopper.cancel()
    created = [e for e in received if e["type"] == "service" and e["action"] == "create"]
    assert created, received
    e = created[0]
    for key in ["type", "action", "parents", "resource_uri", "state", "uuid", "datetime"]:
        assert key in e, (key, e)
    assert e["state"] == "Not running"


def errors():
    try:
        dockercloud.Service.fetch("00000000-0000-4000-8000-000000000000")
        raise AssertionError("fetching a missing service did not fail")
    except dockercloud.ApiError as e:
        assert "404" in str(e), str(e)
    os.environ.pop("DOCKERCLOUD_APIKEY")
    dockercloud.basic_auth = None
    dockercloud.user = "sdkuser"
    dockercloud.apikey = "wrong"
    try:
        dockercloud.Service.list()
        raise AssertionError("a wrong API key was accepted")
    except dockercloud.AuthError:
        pass
    finally:
        dockercloud.apikey = "sdkkey"


try:
    check("service create/list/start/scale/stop/terminate", service_lifecycle)
    check("stack create/start/stop/terminate with links", stack_lifecycle)
    check("container and service logs (tail, no follow)", container_logs)
    check("container logs followed live", follow_logs)
    check("events stream", events)
    check("errors: 404 and 401", errors)
finally:
    proc.terminate()
    proc.wait()

print("sdk: %d passed, %d failed" % (len(passed), len(failed)))
sys.exit(1 if failed else 0)
