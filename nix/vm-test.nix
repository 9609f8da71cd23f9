# NixOS VM test (`nix flake check`): the module's service starts, answers /health, hands out the
# bootstrap key, runs a canary rollout to two simulated agents to completion, answers the CLI from
# the system path and the dashboard at /ui, keeps its state across a restart, and serves mutual TLS
# when tls.* is set.
{
  pkgs,
  module,
}:
let
  inherit (pkgs) lib;

  # Store paths as the server accepts them: /nix/store/<32 nix-base32 characters>-<name>.
  oldGeneration = host: "/nix/store/${lib.fixedWidthString 32 "1" ""}-nixos-system-${host}";
  newGeneration = host: "/nix/store/${lib.fixedWidthString 32 "2" ""}-nixos-system-${host}";
  hosts = [
    "web-01"
    "web-02"
  ];

  # A simulated agent (the argument is its machine id): every second it polls its desired
  # generation as the nixfleet agent does, "switches" to it at once, and reports success with a
  # passing health check; tagged `web`.
  fakeAgent = pkgs.writeShellScript "fake-agent" ''
    export PATH=${
      lib.makeBinPath [
        pkgs.coreutils
        pkgs.curl
        pkgs.jq
      ]
    }
    id=$1
    api=http://127.0.0.1:8080/api/v1/machines/$id
    current=/nix/store/${lib.fixedWidthString 32 "1" ""}-nixos-system-$id
    while true; do
      if desired=$(curl --silent --fail "$api/desired-generation"); then
        current=$(jq -r .hash <<<"$desired")
      fi
      now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
      jq -n --arg id "$id" --arg generation "$current" --arg now "$now" '{
        machine_id: $id, current_generation: $generation, success: true, message: "switched",
        timestamp: $now, tags: ["web"], agent_version: "fake-agent",
        health: {
          results: [{status: "pass", check_name: "simulated", duration_ms: 1}],
          all_passed: true, timestamp: $now
        }
      }' | curl --silent --fail -X POST -H 'Content-Type: application/json' --data @- \
        "$api/report" >/dev/null || true
      sleep 1
    done
  '';

  # A throwaway CA with a server and a client certificate, for the mTLS node only.
  certs = pkgs.runCommand "nixfleet-cp-test-certs" { nativeBuildInputs = [ pkgs.openssl ]; } ''
    mkdir -p "$out"
    cd "$out"
    newkey() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" -keyout "$1-key.pem" -out "$1.csr"; }
    sign() { openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 -extfile "$2" -out "$1.pem"; }
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj /CN=fleet-ca -keyout ca-key.pem -out ca.pem
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    newkey localhost && sign localhost server.ext
    newkey admin && sign admin client.ext
  '';
in
pkgs.testers.nixosTest {
  name = "nixfleet-control-plane";

  nodes = {
    plain =
      { pkgs, ... }:
      {
        imports = [ module ];
        services.nixfleet-control-plane = {
          enable = true;
          openFirewall = true;
          reportRetentionHours = 48;
          perMachineMetrics = false;
          environmentFile = "/etc/nixfleet-cp.env";
        };
        # A local database needs no token; the test only checks that the service gets the variable.
        environment.etc."nixfleet-cp.env".text = "NIXFLEET_CP_DB_AUTH_TOKEN=unused-by-a-local-file\n";
        environment.systemPackages = [
          pkgs.curl
          pkgs.jq
        ];
        systemd.services."fake-agent@" = {
          description = "simulated nixfleet agent %i";
          after = [ "nixfleet-control-plane.service" ];
          serviceConfig = {
            ExecStart = "${fakeAgent} %i";
            DynamicUser = true;
            Restart = "always";
            RestartSec = 1;
          };
        };
      };

    mtls =
      { pkgs, ... }:
      {
        imports = [ module ];
        services.nixfleet-control-plane = {
          enable = true;
          listen = "127.0.0.1:8443";
          tls.cert = "${certs}/localhost.pem";
          tls.key = "${certs}/localhost-key.pem";
          tls.clientCa = "${certs}/ca.pem";
        };
        environment.systemPackages = [ pkgs.curl ];
      };
  };

  testScript = ''
    import json

    hosts = ${builtins.toJSON hosts}
    new_generation = ${builtins.toJSON (lib.genAttrs hosts newGeneration)}
    old_generation = ${builtins.toJSON (lib.genAttrs hosts oldGeneration)}

    bootstrap = (
        "curl --silent --output /tmp/bootstrap.json --write-out '%{http_code}' "
        "-X POST -H 'Content-Type: application/json' -d '{\"name\":\"admin\"}' "
        "http://127.0.0.1:8080/api/v1/keys/bootstrap"
    )

    def api(method, path, key, body=None):
        data = f" -H 'Content-Type: application/json' --data '{json.dumps(body)}'" if body is not None else ""
        return json.loads(plain.succeed(
            f"curl --fail --silent -X {method} -H 'Authorization: Bearer {key}'{data} "
            f"http://127.0.0.1:8080{path}"
        ))

    start_all()

    with subtest("the service starts and answers /health"):
        plain.wait_for_unit("nixfleet-control-plane.service")
        plain.wait_for_open_port(8080)
        health = plain.succeed("curl --fail --silent http://127.0.0.1:8080/health")
        assert health.strip() == "ok", f"/health answered {health!r}"

    with subtest("it runs unprivileged with its state in /var/lib/nixfleet-cp"):
        plain.succeed("systemctl show nixfleet-control-plane.service -p User | grep -qx User=nixfleet-cp")
        plain.succeed("systemctl show nixfleet-control-plane.service -p ProtectSystem | grep -qx ProtectSystem=strict")
        plain.succeed("test -f /var/lib/nixfleet-cp/state.db")

    with subtest("the module's settings reach the server: flags and the environment file"):
        plain.succeed("systemctl show nixfleet-control-plane.service -p ExecStart | grep -q -- '--report-retention-hours 48'")
        plain.succeed(
            "tr '\\0' '\\n' < /proc/$(systemctl show nixfleet-control-plane.service -p MainPID --value)/environ "
            "| grep -qx NIXFLEET_CP_DB_AUTH_TOKEN=unused-by-a-local-file"
        )

    with subtest("bootstrap returns an admin key once"):
        status = plain.succeed(bootstrap)
        assert status == "200", f"bootstrap answered {status}"
        created = json.loads(plain.succeed("cat /tmp/bootstrap.json"))
        key = created["key"]
        assert key.startswith("nfk-"), created
        assert created["name"] == "admin" and created["role"] == "admin", created
        status = plain.succeed(bootstrap)
        assert status == "409", f"second bootstrap answered {status}"
        api("GET", "/api/v1/keys", key)

    with subtest("a canary rollout reaches the simulated agents and completes"):
        plain.succeed(" ".join(["systemctl start"] + [f"fake-agent@{host}.service" for host in hosts]))
        plain.wait_until_succeeds(
            f"curl --fail --silent -H 'Authorization: Bearer {key}' "
            "'http://127.0.0.1:8080/api/v1/machines?tag=web' | jq -e 'length == 2'",
            timeout=60,
        )
        release = api("POST", "/api/v1/releases", key, {
            "entries": [
                {"hostname": host, "store_path": new_generation[host], "platform": "x86_64-linux"}
                for host in hosts
            ],
        })
        rollout = api("POST", "/api/v1/rollouts", key, {
            "release_id": release["id"],
            "strategy": "canary",
            "health_timeout": 120,
            "target": {"tags": ["web"]},
        })
        assert rollout["total_machines"] == 2 and len(rollout["batches"]) == 2, rollout
        plain.wait_until_succeeds(
            f"curl --fail --silent -H 'Authorization: Bearer {key}' "
            f"http://127.0.0.1:8080/api/v1/rollouts/{rollout['rollout_id']} "
            "| jq -e '.status == \"completed\"'",
            timeout=180,
        )
        machines = api("GET", "/api/v1/machines?tag=web", key)
        current = {m["machine_id"]: m["current_generation"] for m in machines}
        assert current == new_generation, f"{current} != {new_generation} (was {old_generation})"
        metrics = plain.succeed("curl --fail --silent http://127.0.0.1:8080/metrics")
        assert "nixfleet_machine_last_seen_timestamp_seconds" not in metrics, "perMachineMetrics = false ignored"

    with subtest("the CLI answers from the system path"):
        # `login` and `status` are subcommands of the CLI in the same executable (SPEC §16).
        plain.succeed("nixfleet-control-plane --version")
        # The key goes on stdin, never on the command line (where ps would show it).
        plain.succeed(f"echo {key} | nixfleet-control-plane login --url http://127.0.0.1:8080")
        summary = json.loads(plain.succeed("nixfleet-control-plane status --json"))
        assert isinstance(summary, dict) and summary, summary

    with subtest("the dashboard answers at /ui"):
        # The dashboard also comes from engineer "cli" (SPEC §16); without a session cookie it
        # shows (or redirects to) its login page.
        page = plain.succeed("curl --fail --silent --location http://127.0.0.1:8080/ui")
        assert "<html" in page.lower(), page[:300]

    with subtest("keys recover, run on the host as the service user, prints a new admin key"):
        # `keys recover` (SPEC §13) writes to the live database beside the running service.
        recovered = plain.succeed(
            "runuser -u nixfleet-cp -- nixfleet-control-plane keys recover "
            "--db-path /var/lib/nixfleet-cp/state.db --name vm-test"
        )
        assert "nfk-" in recovered, recovered

    with subtest("state survives a restart"):
        plain.systemctl("restart nixfleet-control-plane.service")
        plain.wait_for_unit("nixfleet-control-plane.service")
        plain.wait_for_open_port(8080)
        status = plain.succeed(bootstrap)
        assert status == "409", f"bootstrap after restart answered {status}"
        rollout_after = api("GET", f"/api/v1/rollouts/{rollout['rollout_id']}", key)
        assert rollout_after["status"] == "completed", rollout_after

    with subtest("with tls.clientCa every connection needs a client certificate"):
        mtls.wait_for_unit("nixfleet-control-plane.service")
        mtls.wait_for_open_port(8443)
        health = mtls.succeed(
            "curl --fail --silent --cacert ${certs}/ca.pem --cert ${certs}/admin.pem "
            "--key ${certs}/admin-key.pem https://localhost:8443/health"
        )
        assert health.strip() == "ok", f"/health over mTLS answered {health!r}"
        mtls.fail("curl --fail --silent --cacert ${certs}/ca.pem https://localhost:8443/health")
  '';
}
