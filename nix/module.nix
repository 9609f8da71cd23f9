# NixOS module for the nixfleet control plane (SPEC §12, §17): the seed's options, one option per
# further server flag, an environment file for secrets, and the executable on the system path.
{
  config,
  lib,
  pkgs,
  options,
  ...
}:
let
  cfg = config.services.nixfleet-control-plane;
  stateDir = "/var/lib/nixfleet-cp";
  user = "nixfleet-cp";
  persistenceEntry = "nixfleet-control-plane";

  # Same grammar as parseListen in src/config.ts: HOST:PORT, or [IPv6]:PORT.
  listenMatch = builtins.match "([[][^]]+[]]|[A-Za-z0-9.-]+):([0-9]{1,5})" cfg.listen;
  listenPort = if listenMatch == null then null else lib.toIntBase10 (lib.elemAt listenMatch 1);
  listenIsValid = listenPort != null && listenPort <= 65535;
  bindsPrivilegedPort = listenIsValid && listenPort != 0 && listenPort < 1024;

  # Same test as isRemoteDatabase in src/config.ts: a URL means sqld, anything else a local file.
  dbIsRemote = builtins.match "(libsql|https?|wss?)://.*" (lib.toLower cfg.dbPath) != null;
  dbDir = dirOf cfg.dbPath;
  extraDbDirs = lib.optional (!dbIsRemote && dbDir != stateDir) dbDir;
  dbDirsOutsideState = lib.filter (dir: !lib.hasPrefix "${stateDir}/" dir) extraDbDirs;

  # systemd expands % specifiers in unit paths and tmpfiles rules, and also $VARIABLES in
  # ExecStart, even inside quotes.
  escapeSpecifiers = lib.replaceStrings [ "%" ] [ "%%" ];
  escapeExecArg = lib.replaceStrings [ "%" "$" ] [ "%%" "$$" ];

  # An option that sets the server flag `--FLAG VALUE` (null leaves the flag out). Its default is
  # the server's own, so the unit always states what the server runs with.
  flagOption = flag: type: default: description: {
    option = lib.mkOption {
      inherit type default;
      description = "${description} Sets `--${flag}`.";
    };
    args =
      value:
      lib.optionals (value != null) [
        "--${flag}"
        (if lib.isBool value then lib.boolToString value else toString value)
      ];
  };

  # An option for a server flag that takes no value (`--FLAG` when true).
  switchOption = flag: description: {
    option = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "${description} Sets `--${flag}`.";
    };
    args = value: lib.optional value "--${flag}";
  };

  # Every server flag of src/config.ts OPTIONS beyond the seed's options, one line each, named as
  # the flag in camelCase: `name = flagOption "flag" type serverDefault "…";`, or
  # `name = switchOption "flag" "…";` for a flag without value. test/unit/nix-module.test.ts fails
  # when a flag has no option here or above, or when a default differs from the server's.
  serverFlags = with lib.types; {
    reportRetentionHours = flagOption "report-retention-hours" ints.positive 24 "Reports and health reports older than this many hours are pruned; each machine keeps its latest.";
    perMachineMetrics = flagOption "per-machine-metrics" bool true "Whether `/metrics` exports `nixfleet_machine_last_seen_timestamp_seconds`, one series per machine (turn it off to keep scrapes of a very large fleet small).";
    maxReleaseBodyMib = flagOption "max-release-body-mib" (ints.between 1 1024) 1 "Body limit of `POST /api/v1/releases` in MiB (every other route takes 1 MiB); a 10 000-host manifest is about 1.7 MiB.";
    nodeId = flagOption "node-id" (nullOr str) null "This process's name among the control planes sharing the database (`GET /api/v1/cluster`); null lets the server use HOSTNAME-PID.";
    leaseSeconds = flagOption "lease-seconds" (ints.between 1 3600) 5 "Executor lease time in seconds: when the leading control plane dies, another takes over within twice this.";
    noExecutor = switchOption "no-executor" "Never lead: no rollout executor steps, retention or webhook delivery here; a replica serving agents and the whole API beside a leading control plane on the same database.";
  };

  # TLS files reach the service through LoadCredential, so root-only secrets (sops-nix, agenix)
  # work for the unprivileged service user; %d is the unit's credentials directory.
  tlsCredentials = lib.filter (credential: credential.path != null) [
    {
      name = "tls-cert";
      flag = "--tls-cert";
      path = cfg.tls.cert;
    }
    {
      name = "tls-key";
      flag = "--tls-key";
      path = cfg.tls.key;
    }
    {
      name = "client-ca";
      flag = "--client-ca";
      path = cfg.tls.clientCa;
    }
  ];

  execArgs = [
    "${cfg.package}/bin/nixfleet-control-plane"
    "--listen"
    (escapeExecArg cfg.listen)
    "--db-path"
    (escapeExecArg cfg.dbPath)
  ]
  ++ lib.concatMap (credential: [
    credential.flag
    "%d/${credential.name}"
  ]) tlsCredentials
  ++ lib.concatLists (
    lib.mapAttrsToList (name: serverFlag: map escapeExecArg (serverFlag.args cfg.${name})) serverFlags
  );

  # With impermanence, persist under the host's own persistent storage root: the entry has a fixed
  # name, so reading the other entries does not recurse into this one.
  otherPersistentRoots = lib.unique (
    map (entry: entry.persistentStoragePath) (
      lib.filter (entry: entry.enable) (
        lib.attrValues (removeAttrs config.environment.persistence [ persistenceEntry ])
      )
    )
  );
in
{
  options.services.nixfleet-control-plane = {
    enable = lib.mkEnableOption "the nixfleet control plane, the HTTP server that coordinates fleet deployments";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./nix/package.nix { }";
      example = lib.literalExpression "inputs.nixfleet-control-plane.packages.\${pkgs.stdenv.hostPlatform.system}.default";
      description = ''
        The package providing `bin/nixfleet-control-plane`, the server and the CLI; the module puts
        it on the system path (`environment.systemPackages`).
      '';
    };

    listen = lib.mkOption {
      type = lib.types.str;
      default = "0.0.0.0:8080";
      example = "127.0.0.1:8080";
      description = ''
        `HOST:PORT` the control plane listens on (`[::1]:PORT` for IPv6). The API, `/health`
        and the Prometheus `/metrics` endpoint are all served here.
      '';
    };

    dbPath = lib.mkOption {
      type = lib.types.str;
      default = "${stateDir}/state.db";
      example = "/var/lib/nixfleet-cp/state.db";
      description = ''
        The SQLite database holding all state. A `libsql://`, `http://` or `https://` URL uses a
        remote libSQL server (sqld) instead. A local file outside ${stateDir} gets its directory
        created and made writable for the service.
      '';
    };

    openFirewall = lib.mkOption {
      type = lib.types.bool;
      default = false;
      example = true;
      description = "Whether to open the TCP port of `listen` in the firewall.";
    };

    tls = {
      cert = lib.mkOption {
        type = lib.types.nullOr lib.types.path;
        default = null;
        example = "/run/secrets/cp-cert.pem";
        description = ''
          PEM server certificate; setting it (with `tls.key`) enables HTTPS, and the server then
          speaks HTTPS only. Read by systemd at start and handed to the service as a credential,
          so the file may stay readable by root only. Use a string, not a Nix path literal, for
          secrets: a path literal is copied into the world-readable Nix store.
        '';
      };

      key = lib.mkOption {
        type = lib.types.nullOr lib.types.path;
        default = null;
        example = "/run/secrets/cp-key.pem";
        description = "PEM private key of `tls.cert`; set both or neither.";
      };

      clientCa = lib.mkOption {
        type = lib.types.nullOr lib.types.path;
        default = null;
        example = "/run/secrets/fleet-ca.pem";
        description = ''
          PEM CA; when set, every connection must present a client certificate signed by it
          (mutual TLS). Agents authenticate by certificate alone; admin clients also need an API
          key. Requires `tls.cert` and `tls.key`.
        '';
      };
    };

    environmentFile = lib.mkOption {
      type = lib.types.nullOr lib.types.path;
      default = null;
      example = "/run/secrets/nixfleet-cp.env";
      description = ''
        File of `NAME=value` lines added to the service's environment, for secrets that have no
        flag: `NIXFLEET_CP_DB_AUTH_TOKEN=…`, the token of a remote libSQL server (`dbPath` =
        `libsql://…`). Read by systemd as root, so it may stay readable by root only; use a string,
        not a Nix path literal, which is copied into the world-readable Nix store. Settings this
        module passes as flags win over the same variables here.
      '';
    };
  }
  // lib.mapAttrs (_: serverFlag: serverFlag.option) serverFlags;

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = [
          {
            assertion = listenIsValid;
            message = "services.nixfleet-control-plane.listen must be HOST:PORT ([IPv6]:PORT for IPv6) with a port from 0 to 65535, got \"${cfg.listen}\".";
          }
          {
            assertion = (cfg.tls.cert == null) == (cfg.tls.key == null);
            message = "services.nixfleet-control-plane.tls.cert and tls.key must be set together.";
          }
          {
            assertion = cfg.tls.clientCa == null || cfg.tls.cert != null;
            message = "services.nixfleet-control-plane.tls.clientCa requires tls.cert and tls.key.";
          }
          {
            assertion = dbIsRemote || builtins.match "/[^[:space:]]*" cfg.dbPath != null;
            message = "services.nixfleet-control-plane.dbPath must be an absolute path without spaces or a libsql://, http:// or https:// URL, got \"${cfg.dbPath}\".";
          }
          {
            assertion = !cfg.openFirewall || listenPort != 0;
            message = "services.nixfleet-control-plane.openFirewall needs a fixed port in listen, not port 0.";
          }
        ];

        users.users.${user} = {
          isSystemUser = true;
          group = user;
          home = stateDir;
          description = "nixfleet control plane";
        };
        users.groups.${user} = { };

        systemd.tmpfiles.rules = map (dir: "d ${escapeSpecifiers dir} 0750 ${user} ${user} - -") extraDbDirs;

        systemd.services.nixfleet-control-plane = {
          description = "nixfleet control plane";
          wantedBy = [ "multi-user.target" ];
          after = [ "network-online.target" ];
          wants = [ "network-online.target" ];

          serviceConfig = {
            Type = "simple";
            ExecStart = lib.escapeShellArgs execArgs;
            User = user;
            Group = user;
            Restart = "always";
            RestartSec = 10;
            StateDirectory = "nixfleet-cp";
            StateDirectoryMode = "0750";
            LoadCredential = map (
              credential: "${credential.name}:${escapeSpecifiers (toString credential.path)}"
            ) tlsCredentials;
            EnvironmentFile = lib.mkIf (cfg.environmentFile != null) (
              escapeSpecifiers (toString cfg.environmentFile)
            );
            UMask = "0077";

            # Binding below 1024 is the only privilege the server may need; otherwise it gets none.
            AmbientCapabilities = lib.optional bindsPrivilegedPort "CAP_NET_BIND_SERVICE";
            CapabilityBoundingSet = if bindsPrivilegedPort then [ "CAP_NET_BIND_SERVICE" ] else "";

            NoNewPrivileges = true;
            ProtectSystem = "strict";
            ProtectHome = true;
            PrivateTmp = true;
            PrivateDevices = true;
            ProtectKernelTunables = true;
            ProtectKernelModules = true;
            ProtectKernelLogs = true;
            ProtectControlGroups = true;
            ProtectClock = true;
            ProtectHostname = true;
            RestrictSUIDSGID = true;
            RestrictRealtime = true;
            RestrictNamespaces = true;
            LockPersonality = true;
            RestrictAddressFamilies = [
              "AF_UNIX"
              "AF_INET"
              "AF_INET6"
              "AF_NETLINK"
            ];
            # No MemoryDenyWriteExecute: Bun's JavaScript JIT needs writable executable memory.
            ReadWritePaths = map escapeSpecifiers ([ stateDir ] ++ extraDbDirs);
          };
        };

        networking.firewall.allowedTCPPorts = lib.optional (cfg.openFirewall && listenIsValid) listenPort;

        # The same executable is the CLI (`nixfleet-control-plane status`, `keys recover`, …).
        environment.systemPackages = [ cfg.package ];
      }

      # environment.persistence exists only where the impermanence module is imported.
      (lib.optionalAttrs (options ? environment.persistence) {
        environment.persistence.${persistenceEntry} = {
          enable = lib.mkDefault (otherPersistentRoots != [ ]);
          persistentStoragePath = lib.mkDefault (
            if otherPersistentRoots == [ ] then "/persist" else lib.head otherPersistentRoots
          );
          directories = map (directory: {
            inherit directory user;
            group = user;
            mode = "0750";
          }) ([ stateDir ] ++ dbDirsOutsideState);
        };
      })
    ]
  );
}
