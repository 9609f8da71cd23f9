# NixOS VM test: the module's service starts, answers /health, hands out the bootstrap key, keeps
# its state across a restart, and serves mutual TLS when tls.* is set.
{
  pkgs,
  module,
}:
let
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
        };
        environment.systemPackages = [ pkgs.curl ];
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

    bootstrap = (
        "curl --silent --output /tmp/bootstrap.json --write-out '%{http_code}' "
        "-X POST -H 'Content-Type: application/json' -d '{\"name\":\"admin\"}' "
        "http://127.0.0.1:8080/api/v1/keys/bootstrap"
    )

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

    with subtest("bootstrap returns an admin key once"):
        status = plain.succeed(bootstrap)
        assert status == "200", f"bootstrap answered {status}"
        created = json.loads(plain.succeed("cat /tmp/bootstrap.json"))
        assert created["key"].startswith("nfk-"), created
        assert created["name"] == "admin" and created["role"] == "admin", created
        status = plain.succeed(bootstrap)
        assert status == "409", f"second bootstrap answered {status}"
        plain.succeed(
            f"curl --fail --silent -H 'Authorization: Bearer {created['key']}' "
            "http://127.0.0.1:8080/api/v1/keys"
        )

    with subtest("state survives a restart"):
        plain.systemctl("restart nixfleet-control-plane.service")
        plain.wait_for_unit("nixfleet-control-plane.service")
        plain.wait_for_open_port(8080)
        status = plain.succeed(bootstrap)
        assert status == "409", f"bootstrap after restart answered {status}"

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
