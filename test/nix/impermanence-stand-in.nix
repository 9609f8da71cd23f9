# Stand-in for the impermanence module's `environment.persistence`
# (github:nix-community/impermanence, nixos.nix), declared with its types; only on the hosts of the
# tests that use impermanence, as the real module is only where a host imports it.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  directory = types.submodule {
    options = {
      directory = mkOption { type = types.str; };
      user = mkOption {
        type = types.str;
        default = "root";
      };
      group = mkOption {
        type = types.str;
        default = "root";
      };
      mode = mkOption {
        type = types.str;
        default = "0755";
      };
    };
  };
in
{
  options.environment.persistence = mkOption {
    type = types.attrsOf (
      types.submodule (
        { name, ... }:
        {
          options = {
            enable = mkOption {
              type = types.bool;
              default = true;
            };
            persistentStoragePath = mkOption {
              type = types.path;
              default = name;
            };
            directories = mkOption {
              type = types.listOf (types.coercedTo types.str (d: { directory = d; }) directory);
              default = [ ];
            };
          };
        }
      )
    );
    default = { };
  };
}
