{
  description = "nixfleet control plane: a fleet-deployment control plane for NixOS";

  # No flake.lock is committed: it is developed on machines that cannot fetch nixpkgs. The first
  # `nix build` or `nix flake check` locks this branch; commit that flake.lock to pin nixpkgs.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (
        _: pkgs:
        let
          nixfleet-control-plane = pkgs.callPackage ./nix/package.nix { };
        in
        {
          inherit nixfleet-control-plane;
          default = nixfleet-control-plane;
          demo = pkgs.callPackage ./nix/demo.nix { inherit nixfleet-control-plane; };
        }
      );

      # `nix run .` runs the executable itself (the CLI; with only flags, the server).
      apps = forAllSystems (
        system: pkgs:
        let
          packages = self.packages.${system};
          serve = pkgs.writeShellScriptBin "nixfleet-control-plane-serve" ''
            # A try-out server in the foreground, on 127.0.0.1:8080 with its database in
            # ./nixfleet-cp.db unless flags or NIXFLEET_CP_* variables say otherwise.
            export NIXFLEET_CP_LISTEN="''${NIXFLEET_CP_LISTEN:-127.0.0.1:8080}"
            export NIXFLEET_CP_DB_PATH="''${NIXFLEET_CP_DB_PATH:-$PWD/nixfleet-cp.db}"
            exec ${lib.getExe packages.default} "$@"
          '';
        in
        {
          serve = {
            type = "app";
            program = lib.getExe serve;
            meta.description = "Serve the control plane in the foreground (flags as nixfleet-control-plane's)";
          };
          demo = {
            type = "app";
            program = lib.getExe packages.demo;
            meta.description = "A canary rollout to 20 simulated agents on a temporary database";
          };
        }
      );

      # `nix develop`: the toolchain the tests and scripts use (README "Development").
      devShells = forAllSystems (
        _: pkgs: {
          default = pkgs.mkShell {
            packages = with pkgs; [
              bun
              nodejs
              openssl
              sqlite
              tmux
              chromium
              wrk
              systemd
              nixfmt
            ];
          };
        }
      );

      nixosModules = {
        nixfleet-control-plane = ./nix/module.nix;
        default = self.nixosModules.nixfleet-control-plane;
      };

      checks = forAllSystems (
        system: pkgs: {
          package = self.packages.${system}.default;
          vm-test = import ./nix/vm-test.nix {
            inherit pkgs;
            module = self.nixosModules.default;
          };
        }
      );
    };
}
