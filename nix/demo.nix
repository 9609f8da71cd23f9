# `nix run .#demo`: `bun run demo` (scripts/demo.ts) from the sources, with the package's
# node_modules: a control plane on a temporary database, 20 simulated agents and a canary rollout.
{
  lib,
  stdenvNoCC,
  bun,
  runtimeShell,
  nixfleet-control-plane,
}:
stdenvNoCC.mkDerivation {
  pname = "nixfleet-control-plane-demo";
  inherit (nixfleet-control-plane) version;

  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../package.json
      ../bunfig.toml
      ../tsconfig.json
      ../src
      ../scripts/demo.ts
      ../test/support
    ];
  };

  dontConfigure = true;
  dontBuild = true;

  installPhase = ''
    runHook preInstall
    share="$out/share/nixfleet-control-plane-demo"
    mkdir -p "$share" "$out/bin"
    cp -R . "$share"
    ln -s ${nixfleet-control-plane.nodeModules}/node_modules "$share/node_modules"
    cat >"$out/bin/nixfleet-control-plane-demo" <<SCRIPT
    #!${runtimeShell}
    exec ${lib.getExe bun} "$share/scripts/demo.ts" "\$@"
    SCRIPT
    chmod +x "$out/bin/nixfleet-control-plane-demo"
    runHook postInstall
  '';

  meta = {
    description = "A canary rollout to 20 simulated agents on a temporary database";
    mainProgram = "nixfleet-control-plane-demo";
    platforms = lib.platforms.linux;
  };
}
