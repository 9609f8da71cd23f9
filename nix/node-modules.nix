# node_modules for the build, offline: every npm package of nix/bun-deps.nix (generated from bun.lock
# by `bun run nix:deps`) fetched on its own by the hash bun.lock records, and unpacked where bun.lock
# places it. So no hash is edited by hand, and a bun.lock change shows up as a stale bun-deps.nix in
# the tests instead of a failed build.
{
  lib,
  stdenv,
  fetchurl,
  autoPatchelfHook,
  dependencies ? import ./bun-deps.nix,
}:
let
  # bun-deps.nix names CPUs as Node does (x64, arm64).
  cpu = stdenv.hostPlatform.node.arch;
  packages = lib.filter (dependency: !(dependency ? cpu) || lib.elem cpu dependency.cpu) dependencies;
in
stdenv.mkDerivation {
  name = "nixfleet-control-plane-node-modules";

  manifest = lib.concatMapStrings (
    dependency: "${dependency.path} ${fetchurl { inherit (dependency) url hash; }}\n"
  ) packages;
  passAsFile = [ "manifest" ];

  dontUnpack = true;
  dontConfigure = true;
  buildPhase = ''
    runHook preBuild
    sh ${./unpack-node-modules.sh} "$manifestPath" "$out"
    runHook postBuild
  '';
  dontInstall = true;

  # The libSQL addon (index.node) needs libgcc_s.so.1, which NixOS has at no default library path:
  # give it a RUNPATH. The musl builds of the addon come along (bun.lock does not tell them apart,
  # so bun installs them too) and are never loaded.
  nativeBuildInputs = [ autoPatchelfHook ];
  buildInputs = [ (lib.getLib stdenv.cc.cc) ];
  autoPatchelfIgnoreMissingDeps = [ "libc.musl-*.so.1" ];
  # The published files as they are, apart from that RUNPATH.
  dontStrip = true;
  dontPatchShebangs = true;

  passthru = { inherit packages; };
}
