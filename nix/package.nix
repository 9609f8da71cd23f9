# Builds the single nixfleet-control-plane executable with Bun (`bun run build`, scripts/build.ts),
# from node_modules fetched package by package by the hashes in bun.lock (nix/node-modules.nix).
{
  lib,
  stdenvNoCC,
  callPackage,
  bun,
}:
let
  nodeModules = callPackage ./node-modules.nix { };
in
stdenvNoCC.mkDerivation {
  pname = "nixfleet-control-plane";
  version = (lib.importJSON ../package.json).version;

  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../package.json
      ../bun.lock
      ../bunfig.toml
      ../tsconfig.json
      ../src
      ../scripts
    ];
  };

  nativeBuildInputs = [ bun ];

  configurePhase = ''
    runHook preConfigure
    # A copy, not a link: scripts/build.ts recognises the libSQL loader by its node_modules path.
    cp -R ${nodeModules}/node_modules node_modules
    chmod -R u+w node_modules
    runHook postConfigure
  '';

  buildPhase = ''
    runHook preBuild
    export HOME="$TMPDIR"
    bun run build
    runHook postBuild
  '';

  installPhase = ''
    runHook preInstall
    install -Dm755 dist/nixfleet-control-plane "$out/bin/nixfleet-control-plane"
    runHook postInstall
  '';

  # A Bun executable carries its bundle appended to the runtime: strip and patchelf would cut it off.
  dontStrip = true;
  dontPatchELF = true;

  doInstallCheck = true;
  installCheckPhase = ''
    runHook preInstallCheck
    "$out/bin/nixfleet-control-plane" --version
    runHook postInstallCheck
  '';

  passthru = { inherit nodeModules; };

  meta = {
    description = "Fleet-deployment control plane for NixOS";
    mainProgram = "nixfleet-control-plane";
    platforms = lib.platforms.linux;
  };
}
