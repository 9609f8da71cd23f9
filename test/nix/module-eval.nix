# Evaluates nix/module.nix with the real NixOS module system: lib.evalModules of the nixpkgs lib
# vendored in nix/vendor/nixpkgs-lib, with stand-ins for the NixOS options the module sets
# (nixos-stand-ins.nix, and impermanence-stand-in.nix where a scenario has persistence). Used by
# test/unit/nix-module.test.ts through `nix-instantiate --eval --strict --json`.
#
# scenariosJson: {"<name>": {"settings": {...}, "persistence": {...} | null}}; settings become
# services.nixfleet-control-plane, persistence (when not null) is environment.persistence.
# The scenario "everySetting" is added: every option of the module (but `package`) set to a value
# that is not its default, so that every flag the module can pass shows up in ExecStart.
{ modulePath, scenariosJson }:
let
  lib = import ../../nix/vendor/nixpkgs-lib/lib;

  # pkgs.callPackage stands in for building the package: the module only needs its store path.
  pkgs.callPackage = file: _: {
    type = "derivation";
    name = "nixfleet-control-plane";
    outPath = "/nix/store/00000000000000000000000000000000-nixfleet-control-plane";
    file = toString file;
  };

  evalScenario =
    scenario:
    lib.evalModules {
      modules = [
        ./nixos-stand-ins.nix
        modulePath
        {
          _module.args.pkgs = pkgs;
          services.nixfleet-control-plane = scenario.settings or { };
        }
      ]
      ++ lib.optionals (scenario.persistence or null != null) [
        ./impermanence-stand-in.nix
        { environment.persistence = scenario.persistence; }
      ];
    };

  declaredOptions =
    evaluated: lib.collect lib.isOption evaluated.options.services.nixfleet-control-plane;
  nameOf = option: lib.concatStringsSep "." (lib.drop 2 option.loc);

  everySetting =
    let
      sample =
        option:
        lib.findFirst (value: option.type.check value && value != option.default or null)
          (throw "module-eval.nix has no sample value for ${nameOf option} (${option.type.description})")
          [
            true
            false
            2
            3
            "/run/sample/${nameOf option}"
          ];
    in
    {
      settings = lib.foldl' lib.recursiveUpdate { } (
        map (option: lib.setAttrByPath (lib.drop 2 option.loc) (sample option)) (
          lib.filter (option: nameOf option != "package") (declaredOptions (evalScenario { }))
        )
      );
    };

  describe =
    scenario:
    let
      evaluated = evalScenario scenario;
      inherit (evaluated) config options;
    in
    {
      options = map (option: {
        name = nameOf option;
        type = option.type.description;
        default = if nameOf option == "package" then option.default.file else option.default or null;
        hasDescription = (option.description or null) != null && option.description != "";
        hasExample = option ? example;
      }) (declaredOptions evaluated);
      config = {
        inherit (config) assertions users;
        networking.firewall = { inherit (config.networking.firewall) allowedTCPPorts; };
        systemd = {
          inherit (config.systemd) services;
          tmpfiles = { inherit (config.systemd.tmpfiles) rules; };
        };
        environment = {
          systemPackages = map toString config.environment.systemPackages;
        }
        // lib.optionalAttrs (options ? environment.persistence) {
          inherit (config.environment) persistence;
        };
      };
    };
in
lib.mapAttrs (_: describe) (builtins.fromJSON scenariosJson // { inherit everySetting; })
