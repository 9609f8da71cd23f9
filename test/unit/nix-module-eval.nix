# Evaluates nix/module.nix with plain `nix-instantiate --eval`, without nixpkgs: a stub of the few
# lib functions the module uses and a stand-in for the module system that applies option defaults
# and resolves mkIf / mkMerge / mkDefault. Used by nix-module.test.ts.
#
# scenariosJson: {"<name>": {"settings": {...}, "persistence": {...} or null}}; settings are merged
# over the option defaults, persistence (when not null) stands for impermanence's
# environment.persistence.
{ modulePath, scenariosJson }:
let
  inherit (builtins)
    attrNames
    concatMap
    concatStringsSep
    filter
    foldl'
    fromJSON
    isAttrs
    isList
    listToAttrs
    map
    mapAttrs
    match
    replaceStrings
    stringLength
    substring
    ;

  lib = rec {
    types = {
      bool = "bool";
      str = "str";
      path = "path";
      package = "package";
      nullOr = type: "null or ${type}";
    };
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: {
      _type = "option";
      type = types.bool;
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
    };
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    mkIf = condition: content: {
      _type = "if";
      inherit condition content;
    };
    mkMerge = contents: {
      _type = "merge";
      inherit contents;
    };
    mkDefault = content: {
      _type = "override";
      priority = 1000;
      inherit content;
    };
    optional = condition: value: if condition then [ value ] else [ ];
    optionalAttrs = condition: attrs: if condition then attrs else { };
    inherit (builtins)
      elemAt
      head
      filter
      concatMap
      attrValues
      replaceStrings
      ;
    unique = foldl' (kept: value: if builtins.elem value kept then kept else kept ++ [ value ]) [ ];
    hasPrefix = prefix: text: substring 0 (stringLength prefix) text == prefix;
    toLower = replaceStrings (map (c: c) upperCase) lowerCase;
    toIntBase10 = text: fromJSON (builtins.head (match "0*([0-9]+)" text));
    # Same quoting rule as nixpkgs' lib.escapeShellArg.
    escapeShellArg =
      arg:
      let
        text = toString arg;
      in
      if match "[[:alnum:],._+:@%/-]+" text == null then
        "'${replaceStrings [ "'" ] [ "'\\''" ] text}'"
      else
        text;
    escapeShellArgs = args: concatStringsSep " " (map escapeShellArg args);
  };

  upperCase = [
    "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M"
    "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z"
  ];
  lowerCase = [
    "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m"
    "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z"
  ];

  packagePath = "/nix/store/00000000000000000000000000000000-nixfleet-control-plane";
  pkgs.callPackage =
    file: _args:
    if builtins.pathExists file then packagePath else throw "callPackage: ${toString file} does not exist";

  isOption = value: isAttrs value && value._type or null == "option";

  # [ { name = "tls.cert"; value = <option>; } ... ] for a tree of option declarations.
  flattenOptions =
    prefix: tree:
    concatMap (
      name:
      let
        value = tree.${name};
        path = if prefix == "" then name else "${prefix}.${name}";
      in
      if isOption value then [ { name = path; inherit value; } ] else flattenOptions path value
    ) (attrNames tree);

  defaultsOf = tree: mapAttrs (_: value: if isOption value then value.default else defaultsOf value) tree;

  mergeOver =
    base: overrides:
    base
    // mapAttrs (
      name: value: if isAttrs value && isAttrs (base.${name} or null) then mergeOver base.${name} value else value
    ) overrides;

  # Resolves the module system's properties; mkIf false becomes null and drops out of attrsets.
  resolve =
    value:
    if isAttrs value && value ? _type then
      if value._type == "if" then
        (if value.condition then resolve value.content else null)
      else if value._type == "merge" then
        foldl' mergeDefinitions { } (filter (v: v != null) (map resolve value.contents))
      else if value._type == "override" then
        resolve value.content
      else
        value
    else if isAttrs value then
      listToAttrs (
        filter (entry: entry.value != null) (
          map (name: {
            inherit name;
            value = resolve value.${name};
          }) (attrNames value)
        )
      )
    else if isList value then
      map resolve value
    else
      value;

  mergeDefinitions =
    left: right:
    left
    // mapAttrs (
      name: value:
      if !(left ? ${name}) then
        value
      else if isAttrs value && isAttrs left.${name} then
        mergeDefinitions left.${name} value
      else if isList value && isList left.${name} then
        left.${name} ++ value
      else
        throw "conflicting definitions of ${name}"
    ) right;

  evaluate =
    scenario:
    let
      module = import modulePath {
        inherit lib pkgs;
        config = {
          services.nixfleet-control-plane = cfg;
          environment.persistence = scenario.persistence or { };
        };
        options = {
          services.nixfleet-control-plane = module.options.services.nixfleet-control-plane;
        }
        // lib.optionalAttrs (scenario.persistence or null != null) { environment.persistence = { }; };
      };
      declared = module.options.services.nixfleet-control-plane;
      cfg = mergeOver (defaultsOf declared) (scenario.settings or { });
    in
    {
      options = map (option: {
        inherit (option) name;
        type = option.value.type;
        default = option.value.default or null;
        hasDescription = option.value ? description && stringLength option.value.description > 0;
        hasExample = option.value ? example;
      }) (flattenOptions "" declared);
      config = resolve module.config;
    };
in
mapAttrs (_: evaluate) (fromJSON scenariosJson)
