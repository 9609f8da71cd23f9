{
  description = "nixfleet control plane: a fleet-deployment control plane for NixOS";

  # No flake.lock is committed: it is developed on machines that cannot fetch nixpkgs. The first
  # `nix build` or `nix flake check` locks this branch; commit that flake.lock to pin nixpkgs.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (
        pkgs:
        let
          nixfleet-control-plane = pkgs.callPackage ./nix/package.nix { };
        in
        {
          inherit nixfleet-control-plane;
          default = nixfleet-control-plane;
        }
      );

      nixosModules = {
        nixfleet-control-plane = ./nix/module.nix;
        default = self.nixosModules.nixfleet-control-plane;
      };

      checks = forAllSystems (pkgs: {
        vm-test = import ./nix/vm-test.nix {
          inherit pkgs;
          module = self.nixosModules.default;
        };
      });
    };
}
