# Builds nix/package.nix as far as a machine without nixpkgs can: Nix's own fetchurl fetches every
# npm package of nix/bun-deps.nix by bun.lock's hash (a wrong URL or hash fails here as it would
# on NixOS), nix/unpack-node-modules.sh lays out node_modules, and the package's own phases build
# and run the executable offline, with the host's shell, tar and Bun standing in for nixpkgs'
# stdenv and bun (so: no autoPatchelf, and the sandbox must be off).
# `bun run nix:host-build` (scripts/nix-host-build.ts) runs it; .ci/run too.
{ bun }:
let
  vendoredLib = import ../../nix/vendor/nixpkgs-lib/lib;

  # lib.fileset needs builtins.readFileType (Nix 2.14); Nix 2.8 gets a path filter over the same files.
  lib = vendoredLib // {
    fileset = {
      unions = paths: paths;
      toSource =
        { root, fileset }:
        builtins.path {
          path = root;
          name = "source";
          filter =
            path: _:
            vendoredLib.any (
              member:
              let
                memberPath = toString member;
              in
              path == memberPath
              || vendoredLib.hasPrefix "${memberPath}/" path
              || vendoredLib.hasPrefix "${path}/" memberPath
            ) fileset;
        };
    };
  };

  system = builtins.currentSystem;

  # The phases the package sets, run in order by the host's sh; runHook does nothing.
  mkDerivation =
    attrs:
    derivation (
      {
        name = attrs.name or "${attrs.pname}-${attrs.version}";
        inherit system;
        # Offline, as in the Nix sandbox: any registry or proxied request fails the build.
        BUN_CONFIG_REGISTRY = "http://127.0.0.1:9/";
        NPM_CONFIG_REGISTRY = "http://127.0.0.1:9/";
        http_proxy = "http://127.0.0.1:9";
        https_proxy = "http://127.0.0.1:9";
        builder = "/bin/sh";
        args = [
          "-c"
          ''
            set -eu
            export PATH="$TMPDIR/bin:/usr/local/bin:/usr/bin:/bin"
            mkdir -p "$TMPDIR/bin" "$TMPDIR/work"
            ln -s ${bun} "$TMPDIR/bin/bun"
            runHook() { :; }
            cd "$TMPDIR/work"
            ${lib.optionalString (attrs ? src) ''cp -R ${attrs.src}/. . && chmod -R u+w .''}
            ${attrs.configurePhase or ""}
            ${attrs.buildPhase or ""}
            ${attrs.installPhase or ""}
            ${attrs.installCheckPhase or ""}
          ''
        ];
      }
      // lib.optionalAttrs (attrs ? passAsFile) { inherit (attrs) manifest passAsFile; }
    );

  stdenv = {
    inherit mkDerivation;
    hostPlatform = lib.systems.elaborate system;
    cc.cc = { };
  };

  pkgs = {
    inherit lib stdenv;
    stdenvNoCC = stdenv;
    fetchurl = { url, hash }: import <nix/fetchurl.nix> { inherit url hash; };
    autoPatchelfHook = null;
    bun = null;
    callPackage =
      file: overrides:
      let
        function = import file;
      in
      function (builtins.intersectAttrs (builtins.functionArgs function) pkgs // overrides);
  };
in
pkgs.callPackage ../../nix/package.nix { }
