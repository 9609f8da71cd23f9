# Stand-ins for the NixOS options nix/module.nix sets, declared with the types NixOS gives them
# (nixos/modules/…), so that lib.evalModules type-checks the module's definitions and refuses
# unknown options without all of NixOS. Each submodule declares only what the module sets.
{ lib, ... }:
let
  inherit (lib) mkOption types;

  # As nixos/lib/systemd-lib.nix: a unit name with its type suffix.
  unitName = types.strMatching "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";

  # As nixos/lib/systemd-unit-options.nix: any value; lists are concatenated, anything else must
  # be defined once (or identically).
  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge =
      loc: defs:
      let
        defs' = lib.filterOverrides defs;
      in
      if lib.any (def: lib.isList def.value) defs' then
        lib.concatMap (def: lib.toList def.value) defs'
      else
        lib.mergeEqualOption loc defs';
  };

  # The values NixOS's checkService accepts for the settings it checks.
  serviceConfigValid =
    serviceConfig:
    lib.elem (serviceConfig.Type or "simple") [
      "simple"
      "exec"
      "forking"
      "oneshot"
      "dbus"
      "notify"
      "notify-reload"
      "idle"
    ]
    && lib.elem (serviceConfig.Restart or "no") [
      "no"
      "on-success"
      "on-failure"
      "on-abnormal"
      "on-abort"
      "on-watchdog"
      "always"
    ];
in
{
  options = {
    assertions = mkOption {
      type = types.listOf (
        types.submodule {
          options.assertion = mkOption { type = types.bool; };
          options.message = mkOption { type = types.str; };
        }
      );
      default = [ ];
    };

    users.users = mkOption {
      type = types.attrsOf (
        types.submodule {
          options = {
            isSystemUser = mkOption {
              type = types.bool;
              default = false;
            };
            group = mkOption {
              type = types.str;
              default = "";
            };
            home = mkOption {
              type = types.passwdEntry types.path;
              default = "/var/empty";
            };
            description = mkOption {
              type = types.passwdEntry types.str;
              default = "";
            };
          };
        }
      );
      default = { };
    };

    users.groups = mkOption {
      type = types.attrsOf (
        types.submodule {
          options.gid = mkOption {
            type = types.nullOr types.int;
            default = null;
          };
        }
      );
      default = { };
    };

    systemd.services = mkOption {
      type = types.attrsOf (
        types.submodule {
          options = {
            description = mkOption {
              type = types.singleLineStr;
              default = "";
            };
            wantedBy = mkOption {
              type = types.listOf unitName;
              default = [ ];
            };
            after = mkOption {
              type = types.listOf unitName;
              default = [ ];
            };
            wants = mkOption {
              type = types.listOf unitName;
              default = [ ];
            };
            serviceConfig = mkOption {
              type = types.addCheck (types.attrsOf unitOption) serviceConfigValid;
              default = { };
            };
          };
        }
      );
      default = { };
    };

    systemd.tmpfiles.rules = mkOption {
      type = types.listOf types.str;
      default = [ ];
    };

    networking.firewall.allowedTCPPorts = mkOption {
      type = types.listOf types.port;
      default = [ ];
    };

    environment.systemPackages = mkOption {
      type = types.listOf types.package;
      default = [ ];
    };
  };
}
