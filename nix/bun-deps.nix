# Generated from bun.lock by scripts/nix-deps.ts; do not edit. Run `bun run nix:deps` after
# every change to bun.lock (test/unit/nix-deps.test.ts fails while this file is stale).
#
# The npm packages the build needs: bun.lock's dependencies and what they pull in, without
# devDependencies, for Linux. Each goes to its place in node_modules as bun.lock lays it out
# (`path`) and is fetched by the hash bun.lock records; `cpu` (Node's names) limits a package
# to those CPUs. nix/node-modules.nix builds node_modules from this list.
[
  {
    path = "node_modules/@ai-sdk/gateway";
    url = "https://registry.npmjs.org/@ai-sdk/gateway/-/gateway-4.0.115.tgz";
    hash = "sha512-Xn+gDWM4Ti2FzYmxhlZtjEuGBGZlOYaQMpwcVRSN4c9qCMUszD5F5TAbkxgLV/tHKeMfEX+WEuTCl6Kkj2r73A==";
  }
  {
    path = "node_modules/@ai-sdk/provider";
    url = "https://registry.npmjs.org/@ai-sdk/provider/-/provider-4.0.28.tgz";
    hash = "sha512-6ThcmkJQXSMlBrf6mirIjUUS04Q5/kApbYTOzd5lZfYXLa1XPpnDLxP/G96/DKc00fDIUOW9S2ls0mSzb0+l9w==";
  }
  {
    path = "node_modules/@ai-sdk/provider-utils";
    url = "https://registry.npmjs.org/@ai-sdk/provider-utils/-/provider-utils-5.0.61.tgz";
    hash = "sha512-Y+Z3539UXw0ctFDNepTtG23VqBQHr2A6yI2qUxvQcg75DJYgJoD2F9U2Vp5OgQjX7lxto1BLgFtKuOhzrr52vQ==";
  }
  {
    path = "node_modules/@ai-sdk/provider-utils/node_modules/undici";
    url = "https://registry.npmjs.org/undici/-/undici-7.30.3.tgz";
    hash = "sha512-Zlb+QdzEW3+j3Yt5GyAycC7nFHhrGQaZhK0C65WWslTvEh11sN3G5EkBkboFt+dcNZEGSFuK3XoDSq6YqmXo5Q==";
  }
  {
    path = "node_modules/@ai-sdk/vue";
    url = "https://registry.npmjs.org/@ai-sdk/vue/-/vue-4.0.142.tgz";
    hash = "sha512-YwenE45AIdtph5Yl90gRps1+i3DVsR8C3jHP3HPEsBL18c62pzB4s0XeWN2MJ6xSGlcSQgH7E8fY1h8qMx35Qw==";
  }
  {
    path = "node_modules/@asteasolutions/zod-to-openapi";
    url = "https://registry.npmjs.org/@asteasolutions/zod-to-openapi/-/zod-to-openapi-9.1.0.tgz";
    hash = "sha512-pLMeRgRYS7/vZIgAAkOe2P6+XGTifR1MT9pqDoxZ11EmcJJ+DPmdPqLN8ZZF4U8R9KHCCQCS9c2wtuE8wSrfkw==";
  }
  {
    path = "node_modules/@babel/helper-string-parser";
    url = "https://registry.npmjs.org/@babel/helper-string-parser/-/helper-string-parser-7.29.17.tgz";
    hash = "sha512-iY5lvqFhfgMXp4o4zWads4NvQZXizBxzCoADPOgFMcMwk1XefAdBJbc9i1y94aflY57lokjOjRTa3AOOW9R7BQ==";
  }
  {
    path = "node_modules/@babel/parser";
    url = "https://registry.npmjs.org/@babel/parser/-/parser-7.29.17.tgz";
    hash = "sha512-I+0olVqWMm9bimQJc/5B3jn1nivNDXtnMtDVs07XdHzZLcWa2N/mlCTPmAsQg95QcKoXSuFD2Yz4fwdtoyk7DQ==";
  }
  {
    path = "node_modules/@babel/types";
    url = "https://registry.npmjs.org/@babel/types/-/types-7.29.17.tgz";
    hash = "sha512-kzo3lZUbI0gARA4QvhmOTH/aws2SrZ880ECQRIjPPSrdfBM0bZCkj1U7UN2fB0GNeXayqCiLVXa2+1jAhn377Q==";
  }
  {
    path = "node_modules/@babel/types/node_modules/@babel/helper-validator-identifier";
    url = "https://registry.npmjs.org/@babel/helper-validator-identifier/-/helper-validator-identifier-7.29.17.tgz";
    hash = "sha512-AG+olLB+teKhkQ2WYJeaZqJwNLjtWTz1waQIP/tEYITzVzpdHLP7IXx2c/bH2JTsNCgvWlkqdCv91xcb8lul8Q==";
  }
  {
    path = "node_modules/@codemirror/autocomplete";
    url = "https://registry.npmjs.org/@codemirror/autocomplete/-/autocomplete-6.20.4.tgz";
    hash = "sha512-yF8RhOf2SXlg00+qtupzLhrglcas61boqaONiNcbPIebHCpJocpqTBA6dyrtUrQO47hqyTdeob/3XnYilT7TaQ==";
  }
  {
    path = "node_modules/@codemirror/commands";
    url = "https://registry.npmjs.org/@codemirror/commands/-/commands-6.11.2.tgz";
    hash = "sha512-NbH6Q9lmcXvf9s5/mMJIwL2Hjl2NEdsN/dDlezGnaFOQgNZ59dT7ndKUf21/PIjJacD/Ti2Ifi4TsBkO6WHvsg==";
  }
  {
    path = "node_modules/@codemirror/lang-css";
    url = "https://registry.npmjs.org/@codemirror/lang-css/-/lang-css-6.3.1.tgz";
    hash = "sha512-kr5fwBGiGtmz6l0LSJIbno9QrifNMUusivHbnA1H6Dmqy4HZFte3UAICix1VuKo0lMPKQr2rqB+0BkKi/S3Ejg==";
  }
  {
    path = "node_modules/@codemirror/lang-html";
    url = "https://registry.npmjs.org/@codemirror/lang-html/-/lang-html-6.4.12.tgz";
    hash = "sha512-pw2ReWKUqSkbvh76RAT4NYxiogRu+PWkR2ukAwO9uOgrm8uipkzjtKKtNpyeAQwHOqxEeSvAXZ6vr3AfyB9y/w==";
  }
  {
    path = "node_modules/@codemirror/lang-javascript";
    url = "https://registry.npmjs.org/@codemirror/lang-javascript/-/lang-javascript-6.2.5.tgz";
    hash = "sha512-zD4e5mS+50htS7F+TYjBPsiIFGanfVqg4HyUz6WNFikgOPf2BgKlx+TQedI1w6n/IqRBVBbBWmGFdLB/7uxO4A==";
  }
  {
    path = "node_modules/@codemirror/lang-json";
    url = "https://registry.npmjs.org/@codemirror/lang-json/-/lang-json-6.0.2.tgz";
    hash = "sha512-x2OtO+AvwEHrEwR0FyyPtfDUiloG3rnVTSZV1W8UteaLL8/MajQd8DpvUb2YVzC+/T18aSDv0H9mu+xw0EStoQ==";
  }
  {
    path = "node_modules/@codemirror/lang-xml";
    url = "https://registry.npmjs.org/@codemirror/lang-xml/-/lang-xml-6.1.0.tgz";
    hash = "sha512-3z0blhicHLfwi2UgkZYRPioSgVTo9PV5GP5ducFH6FaHy0IAJRg+ixj5gTR1gnT/glAIC8xv4w2VL1LoZfs+Jg==";
  }
  {
    path = "node_modules/@codemirror/lang-yaml";
    url = "https://registry.npmjs.org/@codemirror/lang-yaml/-/lang-yaml-6.1.3.tgz";
    hash = "sha512-AZ8DJBuXGVHybpBQhmZtgew5//4hv3tdkXnr3vDmOUMJRuB6vn/uuwtmTOTlqEaQFg3hQSVeA90NmvIQyUV6FQ==";
  }
  {
    path = "node_modules/@codemirror/language";
    url = "https://registry.npmjs.org/@codemirror/language/-/language-6.13.1.tgz";
    hash = "sha512-zfvU2r3TyylQLMj/te+5CnQ0rSqZi8B1oTCBbQkagcLW4Xc6imab6qN+pEJhsuNOLaJqiRyBXp9UhWA1DhVvDw==";
  }
  {
    path = "node_modules/@codemirror/lint";
    url = "https://registry.npmjs.org/@codemirror/lint/-/lint-6.9.8.tgz";
    hash = "sha512-qNvtcE73xUto/D1RvtgSRI4A1Hg8ekxlvtZpjHpdpisLBnhyu82EUEJMEgaxkjuQCA8vqnrylENWKOsEDCOHcw==";
  }
  {
    path = "node_modules/@codemirror/state";
    url = "https://registry.npmjs.org/@codemirror/state/-/state-6.7.6.tgz";
    hash = "sha512-kAz+AncRtKuIknedxT1bq4XwXv4UowhbkHU1myPrtVb/jZtImWuV5BXzv5vK6i3kYACsdiZiQKFQQ5Mq7elW8w==";
  }
  {
    path = "node_modules/@codemirror/streamparser";
    url = "https://registry.npmjs.org/@codemirror/streamparser/-/streamparser-6.0.0.tgz";
    hash = "sha512-JTFPF6xrfjt0mnfGPgzcLiMwYmvIyNaoizp8BYzv8FE8KrT6GBGDZ190rtt+O7Wke3gG/MFHyiY9YGNeimof4w==";
  }
  {
    path = "node_modules/@codemirror/view";
    url = "https://registry.npmjs.org/@codemirror/view/-/view-6.44.2.tgz";
    hash = "sha512-7yxTh7+iCbxIV9QCJAVlkYjWV/TCHD0zmLIaIR3NOb47YpCWwVUuFUnHwkRC3z+8cXNgeJzrCy4QtlR3fVt5kg==";
  }
  {
    path = "node_modules/@floating-ui/core";
    url = "https://registry.npmjs.org/@floating-ui/core/-/core-1.8.0.tgz";
    hash = "sha512-0CIZ5itps/8x7BG8dEIhs53BvCUH2PCoogtakwRTut+Arm58sJooJ0AuZhLw2HJYIR5cMLNPBSS728sPho2khQ==";
  }
  {
    path = "node_modules/@floating-ui/dom";
    url = "https://registry.npmjs.org/@floating-ui/dom/-/dom-1.8.0.tgz";
    hash = "sha512-yXSrzeHZBTZadLOlfyhCkJHNeLJnHRnRInwdZ40L7ZiaAtrBwoYlsDrX3v5zB1Utk7CLfzcOVnVVWoXEky7Ceg==";
  }
  {
    path = "node_modules/@floating-ui/utils";
    url = "https://registry.npmjs.org/@floating-ui/utils/-/utils-0.2.12.tgz";
    hash = "sha512-HpCo8tmWzLVad5s2d19EhAz5zqrrQ6s69qd6moPMQvkOuSwDT1YgRfWSVuc4ennqrgv3OHppiOGMQ7oC13yIww==";
  }
  {
    path = "node_modules/@floating-ui/vue";
    url = "https://registry.npmjs.org/@floating-ui/vue/-/vue-2.0.1.tgz";
    hash = "sha512-043dyEKD9TDSfz080YH2vobubgg+NIo/9Fw4RAl7sEMpD8Am1DNrrSTl/GpMBjyGHoD/FbJY2QLawY+HSQsEIA==";
  }
  {
    path = "node_modules/@headlessui/tailwindcss";
    url = "https://registry.npmjs.org/@headlessui/tailwindcss/-/tailwindcss-0.2.2.tgz";
    hash = "sha512-xNe42KjdyA4kfUKLLPGzME9zkH7Q3rOZ5huFihWNWOQFxnItxPB3/67yBI8/qBfY8nwBRx5GHn4VprsoluVMGw==";
  }
  {
    path = "node_modules/@headlessui/vue";
    url = "https://registry.npmjs.org/@headlessui/vue/-/vue-1.7.23.tgz";
    hash = "sha512-JzdCNqurrtuu0YW6QaDtR2PIYCKPUWq28csDyMvN4zmGccmE7lz40Is6hc3LA4HFeCI7sekZ/PQMTNmn9I/4Wg==";
  }
  {
    path = "node_modules/@hono/node-server";
    url = "https://registry.npmjs.org/@hono/node-server/-/node-server-2.1.9.tgz";
    hash = "sha512-Sk4NQd3GFY0WZWCzndwFMPwJhtD0y9qjsQ+pjID0/03nK9pxyBCUoUHCho8QYBLBVhi0ssL8UkNPHqbgSOFPIQ==";
  }
  {
    path = "node_modules/@hono/prometheus";
    url = "https://registry.npmjs.org/@hono/prometheus/-/prometheus-1.0.3.tgz";
    hash = "sha512-oOBMk2yJL62l6unLkFrAct5IJejSac0yYjomxZuPqDTGKWPcmPD94zQGkLQNdzPRCOW9jEUN3QfxL0Rh5kiNOA==";
  }
  {
    path = "node_modules/@hono/zod-openapi";
    url = "https://registry.npmjs.org/@hono/zod-openapi/-/zod-openapi-1.6.3.tgz";
    hash = "sha512-VYR82Y60plu8g3pN60OUXMVKpmxh3R04Qs++3DY9vtwZ9/sA/BRY0PcRIR+Z37/3itWtM7pYwT9bKiH9JhqV6Q==";
  }
  {
    path = "node_modules/@hono/zod-validator";
    url = "https://registry.npmjs.org/@hono/zod-validator/-/zod-validator-0.9.1.tgz";
    hash = "sha512-iiv6w0qrIc0arfvCtUqBWsvl4fXjzaTcQcCJTTtCnkawF9HHGE+KjEl0ox3gQJ6rKZEgE3mLExlQCF72M+mNuw==";
  }
  {
    path = "node_modules/@internationalized/date";
    url = "https://registry.npmjs.org/@internationalized/date/-/date-3.12.4.tgz";
    hash = "sha512-M1dEn4c1U1HsSlaVR8upZtSqvXrTkHDfv18H01uCSJyjVLDxnBR38v/fMxecmlwXKR4i9HeZcmgQAPE6A+aGJQ==";
  }
  {
    path = "node_modules/@internationalized/number";
    url = "https://registry.npmjs.org/@internationalized/number/-/number-3.6.9.tgz";
    hash = "sha512-GgWy2caO/+hV9sT/oCTWGHvbjmJMPT9kkXzoKRLnkEq7adghhR7UprhvY9sXrKfrp3NcDfhF6QQHXR1KfQbB8g==";
  }
  {
    path = "node_modules/@jridgewell/gen-mapping";
    url = "https://registry.npmjs.org/@jridgewell/gen-mapping/-/gen-mapping-0.3.13.tgz";
    hash = "sha512-2kkt/7niJ6MgEPxF0bYdQ6etZaA+fQvDcLKckhy1yIQOzaoKjBBjSj63/aLVjYE3qhRt5dvM+uUyfCg6UKCBbA==";
  }
  {
    path = "node_modules/@jridgewell/remapping";
    url = "https://registry.npmjs.org/@jridgewell/remapping/-/remapping-2.3.5.tgz";
    hash = "sha512-LI9u/+laYG4Ds1TDKSJW2YPrIlcVYOwi2fUC6xB43lueCjgxV4lffOCZCtYFiH6TNOX+tQKXx97T4IKHbhyHEQ==";
  }
  {
    path = "node_modules/@jridgewell/resolve-uri";
    url = "https://registry.npmjs.org/@jridgewell/resolve-uri/-/resolve-uri-3.1.3.tgz";
    hash = "sha512-lhTtjtoEArWBjismtfS761S9Hlyn+nIZqOZVYoZ1Xn82PMNMVnk+jj/NhC4fAXGTs7ydONcJiR5vyQBTMDu27g==";
  }
  {
    path = "node_modules/@jridgewell/sourcemap-codec";
    url = "https://registry.npmjs.org/@jridgewell/sourcemap-codec/-/sourcemap-codec-1.6.0.tgz";
    hash = "sha512-T7jf+5zgsZHwNJ4lvQ7/aezbyk0nNX+zJVWpmHA7VYsEx7a7qr5Rg5IbtJFqkgze5Y2sruq1RUY8Q837Od7iFw==";
  }
  {
    path = "node_modules/@jridgewell/trace-mapping";
    url = "https://registry.npmjs.org/@jridgewell/trace-mapping/-/trace-mapping-0.3.31.tgz";
    hash = "sha512-zzNR+SdQSDJzc8joaeP8QQoCQr8NuYx2dIIytl1QeBEZHJ9uW6hebsrYgbz8hJwUQao3TWCMtmfV8Nu1twOLAw==";
  }
  {
    path = "node_modules/@lezer/common";
    url = "https://registry.npmjs.org/@lezer/common/-/common-1.5.7.tgz";
    hash = "sha512-3+3PN+M/3xSjrlQz8/wBPOl+JYGJ+G37ZszHfnhphFwj41qPUPxsz4WEic3ZyVpL23rX1qefaGqz0lA7jGUqwg==";
  }
  {
    path = "node_modules/@lezer/css";
    url = "https://registry.npmjs.org/@lezer/css/-/css-1.3.9.tgz";
    hash = "sha512-ZmzgvTOBdJWGIsY/ItAfN7UW8DV802oZG+jeG6E508SwEzz5YhuAajptpWPICvIyqYAD2+VjMdOS40GgGkyEOQ==";
  }
  {
    path = "node_modules/@lezer/highlight";
    url = "https://registry.npmjs.org/@lezer/highlight/-/highlight-1.2.5.tgz";
    hash = "sha512-O1GMVKgtf5YspFaRzpmqkVgMtIk2HG9uMAbH6wdAIdNh3TVzCsch/+cRi+6l2//UGDKe6NB9BW3cvuR5ezMQ0w==";
  }
  {
    path = "node_modules/@lezer/html";
    url = "https://registry.npmjs.org/@lezer/html/-/html-1.3.13.tgz";
    hash = "sha512-oI7n6NJml729m7pjm9lvLvmXbdoMoi2f+1pwSDJkl9d68zGr7a9Btz8NdHTGQZtW2DA25ybeuv/SyDb9D5tseg==";
  }
  {
    path = "node_modules/@lezer/javascript";
    url = "https://registry.npmjs.org/@lezer/javascript/-/javascript-1.5.7.tgz";
    hash = "sha512-o3Rn+TzKuN25sdILOZFXi8hz4K/ed4OK0I+QrAi7Zzn3tXRBZmfsQrZpLX47ZYK/rZU8Vu4jLkz4SOSYRzBfjw==";
  }
  {
    path = "node_modules/@lezer/json";
    url = "https://registry.npmjs.org/@lezer/json/-/json-1.0.3.tgz";
    hash = "sha512-BP9KzdF9Y35PDpv04r0VeSTKDeox5vVr3efE7eBbx3r4s3oNLfunchejZhjArmeieBH+nVOpgIiBJpEAv8ilqQ==";
  }
  {
    path = "node_modules/@lezer/lr";
    url = "https://registry.npmjs.org/@lezer/lr/-/lr-1.4.13.tgz";
    hash = "sha512-Ez6qF9rXdnR/7hTcA6kHq1uTcPV+17hyUFjiHBVYNi0a81TgbkC0SwiNvxcuUMkvX7phuhTHo+QAXh9L2kjGdg==";
  }
  {
    path = "node_modules/@lezer/xml";
    url = "https://registry.npmjs.org/@lezer/xml/-/xml-1.0.6.tgz";
    hash = "sha512-CdDwirL0OEaStFue/66ZmFSeppuL6Dwjlk8qk153mSQwiSH/Dlri4GNymrNWnUmPl2Um7QfV1FO9KFUyX3Twww==";
  }
  {
    path = "node_modules/@lezer/yaml";
    url = "https://registry.npmjs.org/@lezer/yaml/-/yaml-1.0.4.tgz";
    hash = "sha512-2lrrHqxalACEbxIbsjhqGpSW8kWpUKuY6RHgnSAFZa6qK62wvnPxA8hGOwOoDbwHcOFs5M4o27mjGu+P7TvBmw==";
  }
  {
    path = "node_modules/@libsql/client";
    url = "https://registry.npmjs.org/@libsql/client/-/client-0.18.0.tgz";
    hash = "sha512-zMCCo58vv7w27j7+cnt/GW+X6/Rih6cHZ86PKi0AxCMOqMfrVgG9OZ5lW2bDMJhSeOjsv2szH2nJF3A9l36UmA==";
  }
  {
    path = "node_modules/@libsql/core";
    url = "https://registry.npmjs.org/@libsql/core/-/core-0.18.0.tgz";
    hash = "sha512-N8RR2CIpcgtbKZnXs2KVpw2lJQfinUj3I56e7qRDRpK18Hty0Rr8nr00VmFb4R/DsqOanPB/TaP3+QAQLZeXMg==";
  }
  {
    path = "node_modules/@libsql/hrana-client";
    url = "https://registry.npmjs.org/@libsql/hrana-client/-/hrana-client-0.10.0.tgz";
    hash = "sha512-OoA4EMqRAC7kn7V2P6EQqRcpZf2W+AjsNIyCizBg339Tq/aMC7sRnzs3SklderhmQWAqEzvv8A2vhxVmWpkVvw==";
  }
  {
    path = "node_modules/@libsql/isomorphic-ws";
    url = "https://registry.npmjs.org/@libsql/isomorphic-ws/-/isomorphic-ws-0.1.5.tgz";
    hash = "sha512-DtLWIH29onUYR00i0GlQ3UdcTRC6EP4u9w/h9LxpUZJWRMARk6dQwZ6Jkd+QdwVpuAOrdxt18v0K2uIYR3fwFg==";
  }
  {
    path = "node_modules/@libsql/linux-arm64-gnu";
    url = "https://registry.npmjs.org/@libsql/linux-arm64-gnu/-/linux-arm64-gnu-0.5.29.tgz";
    hash = "sha512-gURBqaiXIGGwFNEaUj8Ldk7Hps4STtG+31aEidCk5evMMdtsdfL3HPCpvys+ZF/tkOs2MWlRWoSq7SOuCE9k3w==";
    cpu = [ "arm64" ];
  }
  {
    path = "node_modules/@libsql/linux-arm64-musl";
    url = "https://registry.npmjs.org/@libsql/linux-arm64-musl/-/linux-arm64-musl-0.5.29.tgz";
    hash = "sha512-fwgYZ0H8mUkyVqXZHF3mT/92iIh1N94Owi/f66cPVNsk9BdGKq5gVpoKO+7UxaNzuEH1roJp2QEwsCZMvBLpqg==";
    cpu = [ "arm64" ];
  }
  {
    path = "node_modules/@libsql/linux-x64-gnu";
    url = "https://registry.npmjs.org/@libsql/linux-x64-gnu/-/linux-x64-gnu-0.5.29.tgz";
    hash = "sha512-y14V0vY0nmMC6G0pHeJcEarcnGU2H6cm21ZceRkacWHvQAEhAG0latQkCtoS2njFOXiYIg+JYPfAoWKbi82rkg==";
    cpu = [ "x64" ];
  }
  {
    path = "node_modules/@libsql/linux-x64-musl";
    url = "https://registry.npmjs.org/@libsql/linux-x64-musl/-/linux-x64-musl-0.5.29.tgz";
    hash = "sha512-gquqwA/39tH4pFl+J9n3SOMSymjX+6kZ3kWgY3b94nXFTwac9bnFNMffIomgvlFaC4ArVqMnOZD3nuJ3H3VO1w==";
    cpu = [ "x64" ];
  }
  {
    path = "node_modules/@marijn/find-cluster-break";
    url = "https://registry.npmjs.org/@marijn/find-cluster-break/-/find-cluster-break-1.0.4.tgz";
    hash = "sha512-Wy0V7+SGUjnF9/TkiM1hKVDPj7jKXduPNboMVtHTA8dySMURWqfg/JZ9E2Sq8JgSJmkl7k7Qe9FLeMSrSraWmQ==";
  }
  {
    path = "node_modules/@neon-rs/load";
    url = "https://registry.npmjs.org/@neon-rs/load/-/load-0.0.4.tgz";
    hash = "sha512-kTPhdZyTQxB+2wpiRcFWrDcejc4JI6tkPuS7UZCG4l6Zvc5kU/gGQ/ozvHTh1XR5tS+UlfAfGuPajjzQjCiHCw==";
  }
  {
    path = "node_modules/@opentelemetry/api";
    url = "https://registry.npmjs.org/@opentelemetry/api/-/api-1.10.0.tgz";
    hash = "sha512-lMkyes8iHrG+mk6WH7X70MdCLI2RS0FwNBY1PyQ8UemaijE2m5mv5A0Niy3HtbYTFrgkUEQjFMXmSAk2hQDuPQ==";
  }
  {
    path = "node_modules/@optique/core";
    url = "https://registry.npmjs.org/@optique/core/-/core-1.3.6.tgz";
    hash = "sha512-BXVuVyxP9bg8FbyvBYrSHisnAeG3XTf1xcuUjAWgDWKfzZssMGbSrMdiv4tA+BK3+CrSo6no+uHWpiHh4HMKeg==";
  }
  {
    path = "node_modules/@optique/run";
    url = "https://registry.npmjs.org/@optique/run/-/run-1.3.6.tgz";
    hash = "sha512-uxlHO8vG/5ni1V+t+jdmYqiyYYY5uOevO/6U866oBpnlOxOGn2ZWIlPpDXAU3e5GRu4VecbeXoNff18yRDGoQw==";
  }
  {
    path = "node_modules/@phosphor-icons/core";
    url = "https://registry.npmjs.org/@phosphor-icons/core/-/core-2.1.1.tgz";
    hash = "sha512-v4ARvrip4qBCImOE5rmPUylOEK4iiED9ZyKjcvzuezqMaiRASCHKcRIuvvxL/twvLpkfnEODCOJp5dM4eZilxQ==";
  }
  {
    path = "node_modules/@replit/codemirror-css-color-picker";
    url = "https://registry.npmjs.org/@replit/codemirror-css-color-picker/-/codemirror-css-color-picker-6.3.0.tgz";
    hash = "sha512-19biDANghUm7Fz7L1SNMIhK48tagaWuCOHj4oPPxc7hxPGkTVY2lU/jVZ8tsbTKQPVG7BO2CBDzs7CBwb20t4A==";
  }
  {
    path = "node_modules/@rolldown/pluginutils";
    url = "https://registry.npmjs.org/@rolldown/pluginutils/-/pluginutils-1.1.1.tgz";
    hash = "sha512-glFIJDvLNDtJhT9qrMFWLPbvS+skxgt4L0K8Ei2YtnhPysAJnsI7nyxSJxKj4ADeKX0OLjC4ntRkwpLOoS3rwA==";
  }
  {
    path = "node_modules/@scalar/agent-chat";
    url = "https://registry.npmjs.org/@scalar/agent-chat/-/agent-chat-0.12.46.tgz";
    hash = "sha512-aIHOpsXLGYXOfh4XRDbl7cTNZm4I56J3p4vVWeJGu0BH/aXqfln3WyOBlvJpEB99wBsUr0fv201S/81pkyOnVA==";
  }
  {
    path = "node_modules/@scalar/api-client";
    url = "https://registry.npmjs.org/@scalar/api-client/-/api-client-3.23.3.tgz";
    hash = "sha512-ecT7zwtPN0WJYaANIhqOOMGqNkAtBx2MrxwifkYTQdq4nvnUtpTfhf+Yfu1Nt/JzxP9GbwUiP17YjBr83iNFNg==";
  }
  {
    path = "node_modules/@scalar/api-reference";
    url = "https://registry.npmjs.org/@scalar/api-reference/-/api-reference-1.76.0.tgz";
    hash = "sha512-pjqwnzmA9YK3ZX+IZSICMsywm4qI6HLSngR2py9H6TvFApHHuJjkTAd+gFJfnqJDzJuro8k7ji6JCtJ2U+Byng==";
  }
  {
    path = "node_modules/@scalar/asyncapi-to-markdown";
    url = "https://registry.npmjs.org/@scalar/asyncapi-to-markdown/-/asyncapi-to-markdown-0.2.2.tgz";
    hash = "sha512-Mh00ggrueL54D6MDGnh2nsqURv1mq/puz0c050ScbOZmsSfza5cJ17zglHKg6P6sjkZ4EMjmGbq41PkrPrVI8w==";
  }
  {
    path = "node_modules/@scalar/asyncapi-upgrader";
    url = "https://registry.npmjs.org/@scalar/asyncapi-upgrader/-/asyncapi-upgrader-0.1.18.tgz";
    hash = "sha512-jr+BW2c9mM2LNb6WP2xmi1lRopOg35E71AyNwPiMIbue+yoZp+K2q2vgCjCiltKF0sKJMFjdujyLWgBDWsb1nw==";
  }
  {
    path = "node_modules/@scalar/blocks";
    url = "https://registry.npmjs.org/@scalar/blocks/-/blocks-0.6.0.tgz";
    hash = "sha512-euSmklFX9rfHaT3XkQgwM4kn+Wmz82/br+kwOzUZ/Hpi7o4P0/rLhOA7ll/3YaXpWB8yaeek4ko4K+1eGCT+PQ==";
  }
  {
    path = "node_modules/@scalar/client-side-rendering";
    url = "https://registry.npmjs.org/@scalar/client-side-rendering/-/client-side-rendering-0.4.3.tgz";
    hash = "sha512-a7Hs+YpaT3CEtJcx6pJS/1XMhV/cCGmheYrwuCd51LvrnJLluVqq7ID6F9xWqPnc7Y0E3vs6XZcz+h3exjUFdg==";
  }
  {
    path = "node_modules/@scalar/client-side-rendering/node_modules/@scalar/schemas";
    url = "https://registry.npmjs.org/@scalar/schemas/-/schemas-0.11.0.tgz";
    hash = "sha512-rtvZSsL7IFcHLB1j0VJIgW2MJ702NPOvlhRoRWU4gDK4rGDRmy58BzXtF7gbKOm8vA8aX24NIMr7itwc1Pp6AQ==";
  }
  {
    path = "node_modules/@scalar/client-side-rendering/node_modules/@scalar/schemas/node_modules/@scalar/helpers";
    url = "https://registry.npmjs.org/@scalar/helpers/-/helpers-0.13.0.tgz";
    hash = "sha512-1vB6AZXCQZPb+MApSrso6ss+rbLuiI/vGe+PmiXm8Cnt6B+10JeacDPoPr51EgSwltSfH2hZhJ7hHjW2pSg+bQ==";
  }
  {
    path = "node_modules/@scalar/client-side-rendering/node_modules/@scalar/types";
    url = "https://registry.npmjs.org/@scalar/types/-/types-0.21.0.tgz";
    hash = "sha512-kl/GSKZ2DynaaP1LxnyXxopgoIYrtUI95cOeG3KYkdGJ6pEn3MJ6PDmWfRQNj3gH/ZRx2UuNIf3jVvtMNrlrKA==";
  }
  {
    path = "node_modules/@scalar/client-side-rendering/node_modules/@scalar/types/node_modules/@scalar/helpers";
    url = "https://registry.npmjs.org/@scalar/helpers/-/helpers-0.13.0.tgz";
    hash = "sha512-1vB6AZXCQZPb+MApSrso6ss+rbLuiI/vGe+PmiXm8Cnt6B+10JeacDPoPr51EgSwltSfH2hZhJ7hHjW2pSg+bQ==";
  }
  {
    path = "node_modules/@scalar/client-side-rendering/node_modules/@scalar/types/node_modules/type-fest";
    url = "https://registry.npmjs.org/type-fest/-/type-fest-5.10.0.tgz";
    hash = "sha512-NoSdpq/WEiAg5sjmBkmV/hfxv6HJH4NqPNrqjtSO5CwRmpsDfaf4begxW34KdJykH/l1yHtwBWQkCRdoXO8mPA==";
  }
  {
    path = "node_modules/@scalar/client-side-rendering/node_modules/@scalar/validation";
    url = "https://registry.npmjs.org/@scalar/validation/-/validation-0.6.4.tgz";
    hash = "sha512-s93HFX0+N6bLwGjZPKFGVHq/gWiZy1YQkR2+dSflbUdYp+4j2Pg+WDA0gwbFrsOlgtkEjwQbjXtbmBiFTtPYUg==";
  }
  {
    path = "node_modules/@scalar/code-highlight";
    url = "https://registry.npmjs.org/@scalar/code-highlight/-/code-highlight-0.4.11.tgz";
    hash = "sha512-wqlAgMW35CEXYmBTA2NakvM7a0y69hHIdMduMZEsA8Ftkc4mci3PThUgXC7YrL2nFL57PGW97Lxh2BoNgdv35Q==";
  }
  {
    path = "node_modules/@scalar/components";
    url = "https://registry.npmjs.org/@scalar/components/-/components-0.33.0.tgz";
    hash = "sha512-+JURKnZOkah3wLkO9YxpZcYPZF9lW9F+Zby6S4w09PRxPVB05F/I6bOmXfHDY6Tbt94Vd8T/NGcSVQI5Wm99jQ==";
  }
  {
    path = "node_modules/@scalar/helpers";
    url = "https://registry.npmjs.org/@scalar/helpers/-/helpers-0.16.4.tgz";
    hash = "sha512-9eILWzUcAkHEuYMMvijpSIy69t+Vkq+NudLB/7lgARFTWqXfQpIxW1L3VH7ogKyRie5+E4CNZ3PSvlw6IIfLGw==";
  }
  {
    path = "node_modules/@scalar/highlight";
    url = "https://registry.npmjs.org/@scalar/highlight/-/highlight-0.6.0.tgz";
    hash = "sha512-Vb57bGAn5emtHBQa6QPjSq2Z2Xo2Z3cGS6diV/BmYWn0kzDKqFK1B4SFfFNJNhJLsm798kdI1iJz697lXnMhRA==";
  }
  {
    path = "node_modules/@scalar/hono-api-reference";
    url = "https://registry.npmjs.org/@scalar/hono-api-reference/-/hono-api-reference-0.12.4.tgz";
    hash = "sha512-/Srs98YbTAXKIyw2IdATKMyB/rz5oUrzP9uBkNIQo4bk5f9D7qywavtZFClCMZ0a7zvTzFsJeggaOPC+1qqOVg==";
  }
  {
    path = "node_modules/@scalar/icons";
    url = "https://registry.npmjs.org/@scalar/icons/-/icons-0.7.8.tgz";
    hash = "sha512-/Jee+6lk3I3GCkL4FW7IPjC1+WvAkAsZ4yGkq0tXHbZzJ1BWMzRud/BZuK1eCHQ+un5CDTy26UzJcM5tCMn63w==";
  }
  {
    path = "node_modules/@scalar/icons/node_modules/@types/node";
    url = "https://registry.npmjs.org/@types/node/-/node-24.19.4.tgz";
    hash = "sha512-s04odlR3ksJrLu7QLi+pddkWLD0RmSbcP9KuWn2/ozQKAp/YgwBC/6x9kJj8yAzZnGPfxePm7zm7nysVPCRagw==";
  }
  {
    path = "node_modules/@scalar/icons/node_modules/@types/node/node_modules/undici-types";
    url = "https://registry.npmjs.org/undici-types/-/undici-types-7.24.6.tgz";
    hash = "sha512-WRNW+sJgj5OBN4/0JpHFqtqzhpbnV0GuB+OozA9gCL7a993SmU+1JBZCzLNxYsbMfIeDL+lTsphD5jN5N+n0zg==";
  }
  {
    path = "node_modules/@scalar/json-magic";
    url = "https://registry.npmjs.org/@scalar/json-magic/-/json-magic-0.17.0.tgz";
    hash = "sha512-YmJAO9NoGCcU/vx7P4Dy9DGv+Vntp+ny3Fh99slHOOh/IZxvbdK5hWeZdzQ3x+ezab9XJNscFoX8H/P6W+H8lA==";
  }
  {
    path = "node_modules/@scalar/json-magic/node_modules/undici";
    url = "https://registry.npmjs.org/undici/-/undici-8.12.3.tgz";
    hash = "sha512-+fdndUTwBP86cVjihTp21hZHo7d6oj1c/47XPA3lL8mM0XHs+C4EkcjmgRsFnFk2f/UONGDy9ItBItmXsLOQHw==";
  }
  {
    path = "node_modules/@scalar/localization";
    url = "https://registry.npmjs.org/@scalar/localization/-/localization-0.2.9.tgz";
    hash = "sha512-aSdpoWWSH0EJ75LJ5zMNmh8HGMlnKEDdpylHRbr1VTMycxNuZZ0TCUSINu0EjOSFB+n883+pkx5cXllIAHU1MQ==";
  }
  {
    path = "node_modules/@scalar/localization/node_modules/type-fest";
    url = "https://registry.npmjs.org/type-fest/-/type-fest-5.10.0.tgz";
    hash = "sha512-NoSdpq/WEiAg5sjmBkmV/hfxv6HJH4NqPNrqjtSO5CwRmpsDfaf4begxW34KdJykH/l1yHtwBWQkCRdoXO8mPA==";
  }
  {
    path = "node_modules/@scalar/oas-utils";
    url = "https://registry.npmjs.org/@scalar/oas-utils/-/oas-utils-0.20.15.tgz";
    hash = "sha512-hldf13hxpfGzoAdHllgdEK7sYZ7ttdodYf533T5UCQbOXGOrGJn+PYxKb5ewoMr9+iA8vxNipDV3cSxEGfXrsQ==";
  }
  {
    path = "node_modules/@scalar/openapi-to-markdown";
    url = "https://registry.npmjs.org/@scalar/openapi-to-markdown/-/openapi-to-markdown-1.7.0.tgz";
    hash = "sha512-re3eV3Cfp5uzTrHQLhfPERrDiYLKmivg30C6jKMcKaVt6QXOrV6kD7ita9bh/2rdf2oG/ONpBNWlA2u6PAxUlg==";
  }
  {
    path = "node_modules/@scalar/openapi-types";
    url = "https://registry.npmjs.org/@scalar/openapi-types/-/openapi-types-0.9.8.tgz";
    hash = "sha512-pGcpkZObsGBC7nRKYte+6gstoe0C4hp7B2UWQYjg5To1wE68s3OHVvin+muL3tn3ZAoahXeJAkn1+aEcMi802w==";
  }
  {
    path = "node_modules/@scalar/openapi-upgrader";
    url = "https://registry.npmjs.org/@scalar/openapi-upgrader/-/openapi-upgrader-0.4.6.tgz";
    hash = "sha512-wkTbowGZAlDA5AhCAnBVft6y3veoE17P+okH/zrwM/BZWBSzPghGpa4BPTCg3+IzRmRP/8ZeaYO7LfxCDAEmcA==";
  }
  {
    path = "node_modules/@scalar/schemas";
    url = "https://registry.npmjs.org/@scalar/schemas/-/schemas-0.15.0.tgz";
    hash = "sha512-YxvmWVymAC536CFC84SGyt8PD57UqB5GOvr73y7Oj1Bjf8HMUUowzEt3AM3w9s21sR8ZKkncbt1R3r8sYsASnA==";
  }
  {
    path = "node_modules/@scalar/sidebar";
    url = "https://registry.npmjs.org/@scalar/sidebar/-/sidebar-0.12.3.tgz";
    hash = "sha512-S8NMexUz5hfwdHBkcqsZ0P6aPuOPZRObH3mewtFP7z8jCiLk9WKStmoQT/3jXF9wHKtB4qUn87l49sbXMzvP4Q==";
  }
  {
    path = "node_modules/@scalar/snippetz";
    url = "https://registry.npmjs.org/@scalar/snippetz/-/snippetz-0.10.11.tgz";
    hash = "sha512-igyfP3DNHNI0sZ0kTYj0rsXHemyYO0AIIitusHsDL6u9Z0m79m/9klB5xB2BIV3DbCzjC8Eziwmaryv74nzSuQ==";
  }
  {
    path = "node_modules/@scalar/themes";
    url = "https://registry.npmjs.org/@scalar/themes/-/themes-0.19.3.tgz";
    hash = "sha512-tssbw6X8ts+WgBmEAiD6h9GJU5cL2Ki80ISQ3/tcJtsvBEM9R+/A9da1N9mvEt62udhU0Jp+a6L/t9G9PbcreA==";
  }
  {
    path = "node_modules/@scalar/typebox";
    url = "https://registry.npmjs.org/@scalar/typebox/-/typebox-0.1.3.tgz";
    hash = "sha512-lU055AUccECZMIfGA0z/C1StYmboAYIPJLDFBzOO81yXBi35Pxdq+I4fWX6iUZ8qcoHneiLGk9jAUM1rA93iEg==";
  }
  {
    path = "node_modules/@scalar/types";
    url = "https://registry.npmjs.org/@scalar/types/-/types-0.25.0.tgz";
    hash = "sha512-EdwOVV5ajKks4MX5BorHIdMLG0L8EAxfz+NisAPV8l7Rsic50+YoWnqkY1eqB6K96iyreIKUdl7B/PIFGLqylg==";
  }
  {
    path = "node_modules/@scalar/types/node_modules/type-fest";
    url = "https://registry.npmjs.org/type-fest/-/type-fest-5.10.0.tgz";
    hash = "sha512-NoSdpq/WEiAg5sjmBkmV/hfxv6HJH4NqPNrqjtSO5CwRmpsDfaf4begxW34KdJykH/l1yHtwBWQkCRdoXO8mPA==";
  }
  {
    path = "node_modules/@scalar/use-codemirror";
    url = "https://registry.npmjs.org/@scalar/use-codemirror/-/use-codemirror-0.14.16.tgz";
    hash = "sha512-3s8IzFEMReB28kP0Keq1yNu84F2tUTpHoXwfSY4Nb3xpiBaMJfbj1p5w2fFvXQgCCtdf3nBUPbRLTxgAebWXaA==";
  }
  {
    path = "node_modules/@scalar/use-hooks";
    url = "https://registry.npmjs.org/@scalar/use-hooks/-/use-hooks-0.4.22.tgz";
    hash = "sha512-+XQ8WwUGCzBTLGycgNue/0sIOSA8n/RSlu3XC1wUX6UB69j3kD4qeI9I60i1uFW7OL1CtaLq66BIe84uMnJAng==";
  }
  {
    path = "node_modules/@scalar/use-toasts";
    url = "https://registry.npmjs.org/@scalar/use-toasts/-/use-toasts-0.10.6.tgz";
    hash = "sha512-rs0DkbWpKhy8WPjU6LDOan5RI+iUaj7j/Rdkui2+FXB0LB789OfWsj3VeD/vlPLrk7L5Du67AOLLKVqwIp2nJA==";
  }
  {
    path = "node_modules/@scalar/validation";
    url = "https://registry.npmjs.org/@scalar/validation/-/validation-0.6.7.tgz";
    hash = "sha512-xvmeYb0LOg9B598oVA/1fs9MvnMdtWjQYG3v2Wgftewizr7tQjsdDYT1TQahlDzqRG+r+ml6zlSkPrFiCE5jHQ==";
  }
  {
    path = "node_modules/@scalar/workspace-store";
    url = "https://registry.npmjs.org/@scalar/workspace-store/-/workspace-store-0.69.0.tgz";
    hash = "sha512-idgMEuPXfZQ4iKdCGG60td5qBJgVI3xjJ/p5bHaStWP6bhyJ0kJJBBLntkOvWZLgxr5Enk3BNEcmQAW6V/GJIw==";
  }
  {
    path = "node_modules/@scalar/workspace-store/node_modules/type-fest";
    url = "https://registry.npmjs.org/type-fest/-/type-fest-5.10.0.tgz";
    hash = "sha512-NoSdpq/WEiAg5sjmBkmV/hfxv6HJH4NqPNrqjtSO5CwRmpsDfaf4begxW34KdJykH/l1yHtwBWQkCRdoXO8mPA==";
  }
  {
    path = "node_modules/@stablelib/base64";
    url = "https://registry.npmjs.org/@stablelib/base64/-/base64-1.0.1.tgz";
    hash = "sha512-1bnPQqSxSuc3Ii6MhBysoWCg58j97aUjuCSZrGSmDxNqtytIi0k8utUenAwTZN4V5mXXYGsVUI9zeBqy+jBOSQ==";
  }
  {
    path = "node_modules/@standard-schema/spec";
    url = "https://registry.npmjs.org/@standard-schema/spec/-/spec-1.1.0.tgz";
    hash = "sha512-l2aFy5jALhniG5HgqrD6jXLi/rUWrKvqN/qJx6yoJsgKhblVd+iqqU4RCXavm/jPityDo5TCvKMnpjKnOriy0w==";
  }
  {
    path = "node_modules/@swc/helpers";
    url = "https://registry.npmjs.org/@swc/helpers/-/helpers-0.5.24.tgz";
    hash = "sha512-6tcXo4kA8HgGO7AVmawB57RYi/piBPYVHVcO6dXjX+SZw8GoHmi262sp4v2Ha2kNP9Cx84qei27yT+fjS1lxgg==";
  }
  {
    path = "node_modules/@tanstack/virtual-core";
    url = "https://registry.npmjs.org/@tanstack/virtual-core/-/virtual-core-3.19.11.tgz";
    hash = "sha512-/5iHb0RHBvj8Di59FDs4ESNm45jls33aZAi4zccVXZjc/6ZvwQP6nzEYeT6weXjTf9E6/vrp2JhYWRyO+ZP13A==";
  }
  {
    path = "node_modules/@tanstack/vue-virtual";
    url = "https://registry.npmjs.org/@tanstack/vue-virtual/-/vue-virtual-3.13.52.tgz";
    hash = "sha512-qTwG7HNr5o+FPd/u+T05N73A8howtkB9FgQI71VcBzx6J2KsYzlVugRz/0ji17kl26D8SAdKux1Wmk3yhTI1Kw==";
  }
  {
    path = "node_modules/@types/debug";
    url = "https://registry.npmjs.org/@types/debug/-/debug-4.1.13.tgz";
    hash = "sha512-KSVgmQmzMwPlmtljOomayoR89W4FynCAi3E8PPs7vmDVPe84hT+vGPKkJfThkmXs0x0jAaa9U8uW8bbfyS2fWw==";
  }
  {
    path = "node_modules/@types/har-format";
    url = "https://registry.npmjs.org/@types/har-format/-/har-format-1.2.16.tgz";
    hash = "sha512-fluxdy7ryD3MV6h8pTfTYpy/xQzCFC7m89nOH9y94cNqJ1mDIDPut7MnRHI3F6qRmh/cT2fUjG1MLdCNb4hE9A==";
  }
  {
    path = "node_modules/@types/hast";
    url = "https://registry.npmjs.org/@types/hast/-/hast-3.0.5.tgz";
    hash = "sha512-rp/ezSWaD1m44dPKICGhiskI13nVr7qTloFwDa/IYkhhf5nzwP+zIQcIJh3WIFSBOy/H1PzB40jPjMDksN4F+g==";
  }
  {
    path = "node_modules/@types/mdast";
    url = "https://registry.npmjs.org/@types/mdast/-/mdast-4.0.4.tgz";
    hash = "sha512-kGaNbPh1k7AFzgpud/gMdvIm5xuECykRR+JnWKQno9TAXVa6WIVCGTPvYGekIDL4uwCZQSYbUxNBSb1aUo79oA==";
  }
  {
    path = "node_modules/@types/ms";
    url = "https://registry.npmjs.org/@types/ms/-/ms-2.1.0.tgz";
    hash = "sha512-GsCCIZDE/p3i96vtEqx+7dBUGXrc7zeSK3wwPHIaRThS+9OhWIXRqzs4d6k1SVU8g91DrNRWxWUGhp5KXQb2VA==";
  }
  {
    path = "node_modules/@types/node";
    url = "https://registry.npmjs.org/@types/node/-/node-26.6.6.tgz";
    hash = "sha512-MzQj+8Kx3XI40OmUAE6Qoh58ZMNstNNMwn2nfd3qWsfe7nDNSqJNzes4njhz6AHwrSHOffSLwXU6yb474Q4aog==";
  }
  {
    path = "node_modules/@types/unist";
    url = "https://registry.npmjs.org/@types/unist/-/unist-3.0.3.tgz";
    hash = "sha512-ko/gIFJRv177XgZsZcBwnqJN5x/Gien8qNOn0D5bQU/zAzVf9Zt3BlcUiLqhV9y4ARk0GbT3tnUiPNgnTXzc/Q==";
  }
  {
    path = "node_modules/@types/web-bluetooth";
    url = "https://registry.npmjs.org/@types/web-bluetooth/-/web-bluetooth-0.0.21.tgz";
    hash = "sha512-oIQLCGWtcFZy2JW77j9k8nHzAOpqMHLQejDA48XXMWH6tjCQHz5RCFz1bzsmROyL6PUm+LLnUiI4BCn221inxA==";
  }
  {
    path = "node_modules/@types/ws";
    url = "https://registry.npmjs.org/@types/ws/-/ws-8.18.2.tgz";
    hash = "sha512-67MQl+fpWKVTT1NYdnmo3U4sc/xPo/zQBncVnI74qmQa0z/b+1g6iYqNmGCPbxO+zz2aklb08a0oHfegiVd0/w==";
  }
  {
    path = "node_modules/@ungap/structured-clone";
    url = "https://registry.npmjs.org/@ungap/structured-clone/-/structured-clone-1.4.0.tgz";
    hash = "sha512-1mEZtMKPM09vDmQt5y7YvmN2+DFTP7Tg0EWXdic8/C6VRnpb33e4ghisCIE3WZjsE2N8mf+QV1Zqh7ZFYLWInQ==";
  }
  {
    path = "node_modules/@unhead/bundler";
    url = "https://registry.npmjs.org/@unhead/bundler/-/bundler-3.4.3.tgz";
    hash = "sha512-noUTzazRB4fMgO/nluoirrZJXngNbNb3sQzIslA805tKkwakRv2fib4Xe4EdiTuNB7V5XmpUFvfQkKRdBQ9qAA==";
  }
  {
    path = "node_modules/@unhead/vue";
    url = "https://registry.npmjs.org/@unhead/vue/-/vue-3.4.3.tgz";
    hash = "sha512-Wrmk62oC/V1EcBSKRDuy77kVaBtBXXsj6b+vEEWvmfo9AQfpLlc2b6vvvSj9WnXr8VY1ksKHj49Ejo8J/wLSOA==";
  }
  {
    path = "node_modules/@vercel/oidc";
    url = "https://registry.npmjs.org/@vercel/oidc/-/oidc-3.2.0.tgz";
    hash = "sha512-UycprH3T6n3jH0k44NHMa7pnFHGu/N05MjojYr+Mc6I7obkoLIJujSWwin1pCvdy/eOxrI/l3uDLQsmcrOb4ug==";
  }
  {
    path = "node_modules/@vue/compiler-core";
    url = "https://registry.npmjs.org/@vue/compiler-core/-/compiler-core-3.5.47.tgz";
    hash = "sha512-xbUKXtPx9xM48gdpGatozxMydqwwCxwa3N3HRH2bsDwlwgwVPPAY5Of7Zjn9tRuf1bQi9IrNEUvfriA7xYALhA==";
  }
  {
    path = "node_modules/@vue/compiler-dom";
    url = "https://registry.npmjs.org/@vue/compiler-dom/-/compiler-dom-3.5.47.tgz";
    hash = "sha512-FSRyMXkIo+qfYNAUFpPipSvXzsbH7uQ2cIcNIk4/kpcSwoy2osIIrVyuPNG1vW6Anvf6kU8Oib+iYs2hBRoikA==";
  }
  {
    path = "node_modules/@vue/compiler-sfc";
    url = "https://registry.npmjs.org/@vue/compiler-sfc/-/compiler-sfc-3.5.47.tgz";
    hash = "sha512-T2DRi7JtfgcHcrs8Anx3nR04DXmNvyQ63H6zAWCgKSybqZJFlH+U1A6tMwapFrxJLZC7fklLDP8C9BxIuLnHLQ==";
  }
  {
    path = "node_modules/@vue/compiler-sfc/node_modules/magic-string";
    url = "https://registry.npmjs.org/magic-string/-/magic-string-0.30.21.tgz";
    hash = "sha512-vd2F4YUyEXKGcLHoq+TEyCjxueSeHnFxyyjNp80yg0XV4vUhnDer/lvvlqM/arB5bXQN5K2/3oinyCRyx8T2CQ==";
  }
  {
    path = "node_modules/@vue/compiler-ssr";
    url = "https://registry.npmjs.org/@vue/compiler-ssr/-/compiler-ssr-3.5.47.tgz";
    hash = "sha512-7Ck+2eIkftCCw/07GaGJhPoH5UB2GLmP4XQz5BjyVyuL0CEKw0WQvLVb0iTdhMsSdcvcWfKTC+/Tf/NJGOa27w==";
  }
  {
    path = "node_modules/@vue/reactivity";
    url = "https://registry.npmjs.org/@vue/reactivity/-/reactivity-3.5.47.tgz";
    hash = "sha512-6iuspHOyn9yenqhwELQiOeBa+JX3bpLVadwg8cwNkslqcOJZHuSUsbF7EUw92nV4ifKjZzF78EQnLThHwOnfAA==";
  }
  {
    path = "node_modules/@vue/runtime-core";
    url = "https://registry.npmjs.org/@vue/runtime-core/-/runtime-core-3.5.47.tgz";
    hash = "sha512-hd5oji/0YlB14d4kLvma8nj9q0ltYuWLS9Oi7IBNdqhNTPNxzmMRi4iRfI6X7I6uf6a7GtD7PZYdGZb/9fvixw==";
  }
  {
    path = "node_modules/@vue/runtime-dom";
    url = "https://registry.npmjs.org/@vue/runtime-dom/-/runtime-dom-3.5.47.tgz";
    hash = "sha512-uESQlsglAWF40lkSuO9Ymto+NCagWP1DbLpZpMvXNCV+AADqxuH5aaxJruy//Yuy0Vt2th/25PYcEawPl3YnBw==";
  }
  {
    path = "node_modules/@vue/server-renderer";
    url = "https://registry.npmjs.org/@vue/server-renderer/-/server-renderer-3.5.47.tgz";
    hash = "sha512-WoHtOIi0msvWk85150TcCEWdKfeEcPO2wo8yQ0lWi1UWiNjiVWi+5ZKYhO4gHe4D5Nb0uBVBzZJOtJfS+JAstA==";
  }
  {
    path = "node_modules/@vue/shared";
    url = "https://registry.npmjs.org/@vue/shared/-/shared-3.5.47.tgz";
    hash = "sha512-MrIBiAoWPEs9NBg2ZElTghaUMDfpVL+Zbogw31saY9vmHXShBncOAUzuYkAVASRWB3AsDhgCcn8L9LDG7Lez2Q==";
  }
  {
    path = "node_modules/@vueuse/core";
    url = "https://registry.npmjs.org/@vueuse/core/-/core-15.0.0.tgz";
    hash = "sha512-Zv67h5mrk7YHDJsRObx+DXaCBz6RKBUpxqLesJ+3xZNPG6yuQs7ja7kg3veFrrouYLWAqydQ7CwGEbLVxB43Ng==";
  }
  {
    path = "node_modules/@vueuse/integrations";
    url = "https://registry.npmjs.org/@vueuse/integrations/-/integrations-15.0.0.tgz";
    hash = "sha512-uWC1608pEocJPeRk1IqrEA3uYHhAGTJNibcMAdxgdK2Sy2Hypc6b+VdNO9KekCxyPc4VXK8SKDp8vsXefR/ZFg==";
  }
  {
    path = "node_modules/@vueuse/metadata";
    url = "https://registry.npmjs.org/@vueuse/metadata/-/metadata-15.0.0.tgz";
    hash = "sha512-sfWE5LADAKJ0KnjtGliMdSN8Ij/L7uP6rXIZlgPloAI4zvvefbw6H5Lt7KJA6RqQOYgVqWF5Guj50HHMIzygBg==";
  }
  {
    path = "node_modules/@vueuse/shared";
    url = "https://registry.npmjs.org/@vueuse/shared/-/shared-15.0.0.tgz";
    hash = "sha512-vbNXhGrbV53xPOMSyOzMHQRvhMgZf7oNDw2RChUetVxwTIEkInQ1joZ9JbT0G3z2n2AJNjvmCWeM9ySYrnvogA==";
  }
  {
    path = "node_modules/@workflow/serde";
    url = "https://registry.npmjs.org/@workflow/serde/-/serde-4.1.0.tgz";
    hash = "sha512-pav4F2BoirECWR7Nf1TKt+2eETcBj7jj4cBefQ8VXQCA6NPkaKeLfj/zMgi+3zYV5ZIBT4GuUiphsj0/b9hPQQ==";
  }
  {
    path = "node_modules/ai";
    url = "https://registry.npmjs.org/ai/-/ai-7.0.142.tgz";
    hash = "sha512-Tifni6/6nNhCu4GnFEeYYR7CGmJ3Yhm44SGxYrOupqP2aaZwmGGiiB5Zx4hiauJR0AWimcXULejDT+Qsj+SHOQ==";
  }
  {
    path = "node_modules/aria-hidden";
    url = "https://registry.npmjs.org/aria-hidden/-/aria-hidden-1.2.6.tgz";
    hash = "sha512-ik3ZgC9dY/lYVVM++OISsaYDeg1tb0VtP5uL3ouh1koGOaUMDPpbFIei4JkFimWUFPn90sbMNMXQAIVOlnYKJA==";
  }
  {
    path = "node_modules/bail";
    url = "https://registry.npmjs.org/bail/-/bail-2.0.2.tgz";
    hash = "sha512-0xO6mYd7JB2YesxDKplafRpsiOzPt9V02ddPCLbY1xYGPOX24NTyN50qnUxgCPcSoYMhKpAuBTjQoRZCAkUDRw==";
  }
  {
    path = "node_modules/bintrees";
    url = "https://registry.npmjs.org/bintrees/-/bintrees-1.0.2.tgz";
    hash = "sha512-VOMgTMwjAaUG580SXn3LacVgjurrbMme7ZZNYGSSV7mmtY6QQRh0Eg3pwIcntQ77DErK1L0NxkbetjcoXzVwKw==";
  }
  {
    path = "node_modules/ccount";
    url = "https://registry.npmjs.org/ccount/-/ccount-2.0.1.tgz";
    hash = "sha512-eyrF0jiFpY+3drT6383f1qhkbGsLSifNAjA61IUjZjmLCWjItY6LB9ft9YhoDgwfmclB2zhu51Lc7+95b8NRAg==";
  }
  {
    path = "node_modules/chalk";
    url = "https://registry.npmjs.org/chalk/-/chalk-6.0.1.tgz";
    hash = "sha512-/Ce6KNm3vIbWdMlNna6RVIZ/ICQxnJxCicet5LBKK9ZffBkqzDw0xh9EiKSljdRtiIQ1S1z4YgcscUUGzNCWrA==";
  }
  {
    path = "node_modules/character-entities";
    url = "https://registry.npmjs.org/character-entities/-/character-entities-2.0.2.tgz";
    hash = "sha512-shx7oQ0Awen/BRIdkjkvz54PnEEI/EjwXDSIZp86/KKdbafHh1Df/RYGBhn4hbe2+uKC9FnT5UCEdyPz3ai9hQ==";
  }
  {
    path = "node_modules/character-entities-html4";
    url = "https://registry.npmjs.org/character-entities-html4/-/character-entities-html4-2.1.0.tgz";
    hash = "sha512-1v7fgQRj6hnSwFpq1Eu0ynr/CDEw0rXo2B61qXrLNdHZmPKgb7fqS1a2JwF0rISo9q77jDI8VMEHoApn8qDoZA==";
  }
  {
    path = "node_modules/character-entities-legacy";
    url = "https://registry.npmjs.org/character-entities-legacy/-/character-entities-legacy-3.0.0.tgz";
    hash = "sha512-RpPp0asT/6ufRm//AJVwpViZbGM/MkjQFxJccQRHmISF/22NBtsHqAWmL+/pmkPWoIUJdWyeVleTl1wydHATVQ==";
  }
  {
    path = "node_modules/clsx";
    url = "https://registry.npmjs.org/clsx/-/clsx-2.1.1.tgz";
    hash = "sha512-eYm0QWBtUrBWZWG0d386OGAw16Z995PiOVo2B7bjWSbHedGl5e0ZWaq65kOGgUSNesEIDkB9ISbTg/JK9dhCZA==";
  }
  {
    path = "node_modules/collapse-white-space";
    url = "https://registry.npmjs.org/collapse-white-space/-/collapse-white-space-2.1.0.tgz";
    hash = "sha512-loKTxY1zCOuG4j9f6EPnuyyYkf58RnhhWTvRoZEokgB+WbdXehfjFviyOVYkqzEWz1Q5kRiZdBYS5SwxbQYwzw==";
  }
  {
    path = "node_modules/comma-separated-tokens";
    url = "https://registry.npmjs.org/comma-separated-tokens/-/comma-separated-tokens-2.0.3.tgz";
    hash = "sha512-Fu4hJdvzeylCfQPp9SGWidpzrMs7tTrlu6Vb8XGaRGck8QSNZJJp538Wrb60Lax4fPwR64ViY468OIUTbRlGZg==";
  }
  {
    path = "node_modules/crelt";
    url = "https://registry.npmjs.org/crelt/-/crelt-1.0.7.tgz";
    hash = "sha512-aK6BbWfhf4U/wCcLHKPJl/xa6VkVstRaPywWtMKGwuOLc/wZTyQYuoxgvZnNsBvv7Kg3YTBQYYBCggcviQczuA==";
  }
  {
    path = "node_modules/croner";
    url = "https://registry.npmjs.org/croner/-/croner-11.0.1.tgz";
    hash = "sha512-/fmHcoczPy5cMcmJ6ex7J7LAwb545V1dNmRrdDGP3hwStg/06IYP56YgBySCSdWGDz2PJYQyDukaR8b8R5o2HA==";
  }
  {
    path = "node_modules/csstype";
    url = "https://registry.npmjs.org/csstype/-/csstype-3.2.4.tgz";
    hash = "sha512-PoKaoPzQapnEoqUSnHx1u6W6ku8CVEgKsnpmmzU3m1nwkidpPBQ8V/Zq2+bWNrsOKoKLwTGdbx6xF7BXP1zLVQ==";
  }
  {
    path = "node_modules/csv-stringify";
    url = "https://registry.npmjs.org/csv-stringify/-/csv-stringify-6.9.0.tgz";
    hash = "sha512-6b3e29CILFfSQ2nDRuZMRROzQOpPuJ+s8zPB5H7eK5ncXBbFOyVuRLU5Sx/zAUmVri3Ly49GyC8NEme4SVSAbA==";
  }
  {
    path = "node_modules/cva";
    url = "https://registry.npmjs.org/cva/-/cva-1.0.0-beta.4.tgz";
    hash = "sha512-F/JS9hScapq4DBVQXcK85l9U91M6ePeXoBMSp7vypzShoefUBxjQTo3g3935PUHgQd+IW77DjbPRIxugy4/GCQ==";
  }
  {
    path = "node_modules/debug";
    url = "https://registry.npmjs.org/debug/-/debug-4.4.3.tgz";
    hash = "sha512-RGwwWnwQvkVfavKVt22FGLw+xYSdzARwm0ru6DhTVA3umU5hZc28V3kO4stgYryrTlLpuvgI9GiijltAjNbcqA==";
  }
  {
    path = "node_modules/decode-named-character-reference";
    url = "https://registry.npmjs.org/decode-named-character-reference/-/decode-named-character-reference-1.3.0.tgz";
    hash = "sha512-GtpQYB283KrPp6nRw50q3U9/VfOutZOe103qlN7BPP6Ad27xYnOIWv4lPzo8HCAL+mMZofJ9KEy30fq6MfaK6Q==";
  }
  {
    path = "node_modules/defu";
    url = "https://registry.npmjs.org/defu/-/defu-6.1.7.tgz";
    hash = "sha512-7z22QmUWiQ/2d0KkdYmANbRUVABpZ9SNYyH5vx6PZ+nE5bcC0l7uFvEfHlyld/HcGBFTL536ClDt3DEcSlEJAQ==";
  }
  {
    path = "node_modules/dequal";
    url = "https://registry.npmjs.org/dequal/-/dequal-2.0.3.tgz";
    hash = "sha512-0je+qPKHEMohvfRTCEo3CrPG6cAzAYgmzKyxRiYSSDkS6eGJdyVJm7WaYA5ECaAD9wLB2T4EEeymA5aFVcYXCA==";
  }
  {
    path = "node_modules/detect-libc";
    url = "https://registry.npmjs.org/detect-libc/-/detect-libc-2.0.2.tgz";
    hash = "sha512-UX6sGumvvqSaXgdKGUsgZWqcUyIXZ/vZTrlRT/iobiKhGL0zL4d3osHj3uqllWJK+i+sixDS/3COVEOFbupFyw==";
  }
  {
    path = "node_modules/devlop";
    url = "https://registry.npmjs.org/devlop/-/devlop-1.1.0.tgz";
    hash = "sha512-RWmIqhcFf1lRYBvNmr7qTNuyCt/7/ns2jbpp1+PalgE/rDQcBT0fioSMUpJ93irlUhC5hrg4cYqe6U+0ImW0rA==";
  }
  {
    path = "node_modules/drizzle-orm";
    url = "https://registry.npmjs.org/drizzle-orm/-/drizzle-orm-0.45.4.tgz";
    hash = "sha512-NiM1YZpJ2UxyeE67DpDDZ+Tsw4YLX3trSlkNT7Tm9eKoUNb1LvaAaQzXgYQsWs+AQ9TUmmwMmBOCXuqqxUWKKQ==";
  }
  {
    path = "node_modules/entities";
    url = "https://registry.npmjs.org/entities/-/entities-7.0.1.tgz";
    hash = "sha512-TWrgLOFUQTH994YUyl1yT4uyavY5nNB5muff+RtWaqNVCAK408b5ZnnbNAUEWLTCpum9w6arT70i1XdQ4UeOPA==";
  }
  {
    path = "node_modules/escape-string-regexp";
    url = "https://registry.npmjs.org/escape-string-regexp/-/escape-string-regexp-5.0.0.tgz";
    hash = "sha512-/veY75JbMK4j1yjvuUxuVsiS/hr/4iHs9FTT6cgTexxdE0Ly/glccBAkloH/DofkjRbZU3bnoj38mOmhkZ0lHw==";
  }
  {
    path = "node_modules/estree-walker";
    url = "https://registry.npmjs.org/estree-walker/-/estree-walker-2.0.2.tgz";
    hash = "sha512-Rfkk/Mp/DL7JVje3u18FxFujQlTNR2q6QfMSMB7AvCBx91NGj/ba3kCfza0f6dVDbw7YlRf/nDrn7pQrCCyQ/w==";
  }
  {
    path = "node_modules/eventsource-parser";
    url = "https://registry.npmjs.org/eventsource-parser/-/eventsource-parser-3.1.1.tgz";
    hash = "sha512-EKN1vKAMcZ8MlYMpaNuxN6R9yakzH6uajHcHVTqWJzvu5pWw9DyhbP35HH8MVBQ+dZjAfDxk+A8NiR9KWaXiyQ==";
  }
  {
    path = "node_modules/extend";
    url = "https://registry.npmjs.org/extend/-/extend-3.0.2.tgz";
    hash = "sha512-fjquC59cD7CyW6urNXK0FBufkZcoiGG80wTuPujX590cB5Ttln20E2UB4S/WARVqhXffZl2LNgS+gQdPIIim/g==";
  }
  {
    path = "node_modules/fast-deep-equal";
    url = "https://registry.npmjs.org/fast-deep-equal/-/fast-deep-equal-3.1.3.tgz";
    hash = "sha512-f3qQ9oQy9j2AhBe/H9VC91wLmKBCCU/gDOnKNAYG5hswO7BLKj09Hc5HYNz9cGI++xlpDCIgDaitVs03ATR84Q==";
  }
  {
    path = "node_modules/fast-sha256";
    url = "https://registry.npmjs.org/fast-sha256/-/fast-sha256-1.3.0.tgz";
    hash = "sha512-n11RGP/lrWEFI/bWdygLxhI+pVeo1ZYIVwvvPkW7azl/rOy+F3HYRZ2K5zeE9mmkhQppyv9sQFx0JM9UabnpPQ==";
  }
  {
    path = "node_modules/flatted";
    url = "https://registry.npmjs.org/flatted/-/flatted-3.6.1.tgz";
    hash = "sha512-y+dSAAo8rcx1/R6Z3XbZkNN2bou7nx+EhemVqSpklBZdLCxJbtCG4WnuGXrDanpFht8umbN0+4BLlf8wtDoLhg==";
  }
  {
    path = "node_modules/focus-trap";
    url = "https://registry.npmjs.org/focus-trap/-/focus-trap-8.2.6.tgz";
    hash = "sha512-4V7uTf/7Ax3ynfbey6K3o8NOfIz+go9atKNtFU+KCP5NWhyvn2M/Qk4HY+9kOi8NWujpglRGe0y6G3r/L5M/Pw==";
  }
  {
    path = "node_modules/fuse.js";
    url = "https://registry.npmjs.org/fuse.js/-/fuse.js-7.5.0.tgz";
    hash = "sha512-sQtrEfA+ez/3G0cCZecF70oqpCRttCexYUG4mUrtWL49ULUzUyxokt5kyqwtKzj1270RaKih+hcP3qLcumccow==";
  }
  {
    path = "node_modules/guess-json-indent";
    url = "https://registry.npmjs.org/guess-json-indent/-/guess-json-indent-3.0.1.tgz";
    hash = "sha512-LWZ3Vr8BG7DHE3TzPYFqkhjNRw4vYgFSsv2nfMuHklAlOfiy54/EwiDQuQfFVLxENCVv20wpbjfTayooQHrEhQ==";
  }
  {
    path = "node_modules/hast-util-embedded";
    url = "https://registry.npmjs.org/hast-util-embedded/-/hast-util-embedded-3.0.0.tgz";
    hash = "sha512-naH8sld4Pe2ep03qqULEtvYr7EjrLK2QHY8KJR6RJkTUjPGObe1vnx585uzem2hGra+s1q08DZZpfgDVYRbaXA==";
  }
  {
    path = "node_modules/hast-util-format";
    url = "https://registry.npmjs.org/hast-util-format/-/hast-util-format-1.1.0.tgz";
    hash = "sha512-yY1UDz6bC9rDvCWHpx12aIBGRG7krurX0p0Fm6pT547LwDIZZiNr8a+IHDogorAdreULSEzP82Nlv5SZkHZcjA==";
  }
  {
    path = "node_modules/hast-util-from-html";
    url = "https://registry.npmjs.org/hast-util-from-html/-/hast-util-from-html-2.1.0.tgz";
    hash = "sha512-873p9AuH93gBnATbH8rU3YvjTKxyrIeWd/M9tiLMzn3G82Os0xhQurctfnbYUSrDXoyjbJGpJ2qmTpefMw7ZaQ==";
  }
  {
    path = "node_modules/hast-util-from-parse5";
    url = "https://registry.npmjs.org/hast-util-from-parse5/-/hast-util-from-parse5-8.0.4.tgz";
    hash = "sha512-Yq7XlXor0Cpb71sI2E0zpv8QxQ5a6rfhDEETk4bcgrFX2SvJAY2PHocWwFtL6U9qyfiyByW3wZ6sZEfP2kW81g==";
  }
  {
    path = "node_modules/hast-util-has-property";
    url = "https://registry.npmjs.org/hast-util-has-property/-/hast-util-has-property-3.0.0.tgz";
    hash = "sha512-MNilsvEKLFpV604hwfhVStK0usFY/QmM5zX16bo7EjnAEGofr5YyI37kzopBlZJkHD4t887i+q/C8/tr5Q94cA==";
  }
  {
    path = "node_modules/hast-util-is-body-ok-link";
    url = "https://registry.npmjs.org/hast-util-is-body-ok-link/-/hast-util-is-body-ok-link-3.0.1.tgz";
    hash = "sha512-0qpnzOBLztXHbHQenVB8uNuxTnm/QBFUOmdOSsEn7GnBtyY07+ENTWVFBAnXd/zEgd9/SUG3lRY7hSIBWRgGpQ==";
  }
  {
    path = "node_modules/hast-util-is-element";
    url = "https://registry.npmjs.org/hast-util-is-element/-/hast-util-is-element-3.0.0.tgz";
    hash = "sha512-Val9mnv2IWpLbNPqc/pUem+a7Ipj2aHacCwgNfTiK0vJKl0LF+4Ba4+v1oPHFpf3bLYmreq0/l3Gud9S5OH42g==";
  }
  {
    path = "node_modules/hast-util-minify-whitespace";
    url = "https://registry.npmjs.org/hast-util-minify-whitespace/-/hast-util-minify-whitespace-1.0.1.tgz";
    hash = "sha512-L96fPOVpnclQE0xzdWb/D12VT5FabA7SnZOUMtL1DbXmYiHJMXZvFkIZfiMmTCNJHUeO2K9UYNXoVyfz+QHuOw==";
  }
  {
    path = "node_modules/hast-util-parse-selector";
    url = "https://registry.npmjs.org/hast-util-parse-selector/-/hast-util-parse-selector-4.0.0.tgz";
    hash = "sha512-wkQCkSYoOGCRKERFWcxMVMOcYE2K1AaNLU8DXS9arxnLOUEWbOXKXiJUNzEpqZ3JOKpnha3jkFrumEjVliDe7A==";
  }
  {
    path = "node_modules/hast-util-phrasing";
    url = "https://registry.npmjs.org/hast-util-phrasing/-/hast-util-phrasing-3.0.1.tgz";
    hash = "sha512-6h60VfI3uBQUxHqTyMymMZnEbNl1XmEGtOxxKYL7stY2o601COo62AWAYBQR9lZbYXYSBoxag8UpPRXK+9fqSQ==";
  }
  {
    path = "node_modules/hast-util-raw";
    url = "https://registry.npmjs.org/hast-util-raw/-/hast-util-raw-9.2.1.tgz";
    hash = "sha512-8P0PLAr5C7xCRb+tkhUTV4v6OSNcnccKwjBkH/r19R5CkVCgTWlv4vmTkxFH1CVCA2UJOvOPQdBBMC3c6qnuOg==";
  }
  {
    path = "node_modules/hast-util-sanitize";
    url = "https://registry.npmjs.org/hast-util-sanitize/-/hast-util-sanitize-5.0.2.tgz";
    hash = "sha512-3yTWghByc50aGS7JlGhk61SPenfE/p1oaFeNwkOOyrscaOkMGrcW9+Cy/QAIOBpZxP1yqDIzFMR0+Np0i0+usg==";
  }
  {
    path = "node_modules/hast-util-to-html";
    url = "https://registry.npmjs.org/hast-util-to-html/-/hast-util-to-html-9.0.7.tgz";
    hash = "sha512-HYNDA3qdnzUPitY/LcQm1nWs8z0cWFNH1Nz09jdI/tXifAqF7h3+jrLl4S/b9Mi4VSjn0Dsn54ctuTV6zhBthA==";
  }
  {
    path = "node_modules/hast-util-to-mdast";
    url = "https://registry.npmjs.org/hast-util-to-mdast/-/hast-util-to-mdast-10.1.3.tgz";
    hash = "sha512-8Qc3IBGvw+tvOCi606vYSvizX89hxW22GEuXnqSGq0m3cXotDaNo6LUEIuCjIL+kmrCaMeBTtu+aiJ71HoyE7Q==";
  }
  {
    path = "node_modules/hast-util-to-parse5";
    url = "https://registry.npmjs.org/hast-util-to-parse5/-/hast-util-to-parse5-8.0.1.tgz";
    hash = "sha512-MlWT6Pjt4CG9lFCjiz4BH7l9wmrMkfkJYCxFwKQic8+RTZgWPuWxwAfjJElsXkex7DJjfSJsQIt931ilUgmwdA==";
  }
  {
    path = "node_modules/hast-util-to-text";
    url = "https://registry.npmjs.org/hast-util-to-text/-/hast-util-to-text-4.0.3.tgz";
    hash = "sha512-5yrlWOvGFs6CqHriUpSsNrjzT/Tdo+IOQudbznxOn8K5qblp18MJyzOg8IgDOKQ8MYgQcJA7SusuCjSpDr8mSA==";
  }
  {
    path = "node_modules/hast-util-whitespace";
    url = "https://registry.npmjs.org/hast-util-whitespace/-/hast-util-whitespace-3.0.0.tgz";
    hash = "sha512-88JUN06ipLwsnv+dVn+OIYOvAuvBMy/Qoi6O7mQHxdPXpjy+Cd6xRkWwux7DKO+4sYILtLBRIKgsdpS2gQc7qw==";
  }
  {
    path = "node_modules/hastscript";
    url = "https://registry.npmjs.org/hastscript/-/hastscript-9.0.3.tgz";
    hash = "sha512-1ALZXSmCGmW3h8AMz4R4+QKSKFi7sNgXLVwmwB8FYVtl1CwQ3WDkSAEY/d5tp1g/vbQgq2s1WlHgfO3jbw1TsA==";
  }
  {
    path = "node_modules/highlight.js";
    url = "https://registry.npmjs.org/highlight.js/-/highlight.js-11.12.0.tgz";
    hash = "sha512-nbfWpyRMcMrPMmDwJB+dhX/eiaPKtc2RB+0QZskqJ3WjRA/FDS0e9hZrx8EC/lbEv8gXy98FcDbNa/dspAaJMg==";
  }
  {
    path = "node_modules/hono";
    url = "https://registry.npmjs.org/hono/-/hono-4.13.19.tgz";
    hash = "sha512-KmXvQAXwcAHV+muzbIwoJ23niEB5nMoDVr9WcRkU8mvjUECm/1+7v4Jgp7P7a+H6MLFrh+vXrGonGrGS+RQfkA==";
  }
  {
    path = "node_modules/hookable";
    url = "https://registry.npmjs.org/hookable/-/hookable-6.1.2.tgz";
    hash = "sha512-+abwxtiEA52GCVIsQqut3S/uKTbUwYIp4Pe/vv+6py5XiXBCqMZHg6pA6Y5qhgLSEys0/cYuPbO0z1QFj5ZCmg==";
  }
  {
    path = "node_modules/html-void-elements";
    url = "https://registry.npmjs.org/html-void-elements/-/html-void-elements-3.0.0.tgz";
    hash = "sha512-bEqo66MRXsUGxWHV5IP0PUiAWwoEjba4VCzg0LjFJBpchPaTfyfCKTG6bc5F8ucKec3q5y6qOdGyYTSBEvhCrg==";
  }
  {
    path = "node_modules/html-whitespace-sensitive-tag-names";
    url = "https://registry.npmjs.org/html-whitespace-sensitive-tag-names/-/html-whitespace-sensitive-tag-names-3.0.1.tgz";
    hash = "sha512-q+310vW8zmymYHALr1da4HyXUQ0zgiIwIicEfotYPWGN0OJVEN/58IJ3A4GBYcEq3LGAZqKb+ugvP0GNB9CEAA==";
  }
  {
    path = "node_modules/is-absolute-url";
    url = "https://registry.npmjs.org/is-absolute-url/-/is-absolute-url-4.0.1.tgz";
    hash = "sha512-/51/TKE88Lmm7Gc4/8btclNXWS+g50wXhYJq8HWIBAGUBnoAdRu1aXeh364t/O7wXDAcTJDP8PNuNKWUDWie+A==";
  }
  {
    path = "node_modules/is-plain-obj";
    url = "https://registry.npmjs.org/is-plain-obj/-/is-plain-obj-4.1.0.tgz";
    hash = "sha512-+Pgi+vMuUNkJyExiMBt5IlFoMyKnr5zhJ4Uspz58WOhBF5QoIZkFyNHIbBAtHwzVAgk5RtndVNsDRN61/mmDqg==";
  }
  {
    path = "node_modules/js-base64";
    url = "https://registry.npmjs.org/js-base64/-/js-base64-3.9.7.tgz";
    hash = "sha512-UT2XYOCbXOXYoymbytretRDFnb6E6vYPqC1blehA/alnG6vRC0mNTQ6ijXYAPtiCG9o1FDNJXJvQtCwbChFDRQ==";
  }
  {
    path = "node_modules/json-schema";
    url = "https://registry.npmjs.org/json-schema/-/json-schema-0.4.0.tgz";
    hash = "sha512-es94M3nTIfsEPisRafak+HDLfHXnKBhV3vU5eqPcS3flIWqcxJWgXHXiey3YrpaNsanY5ei1VoYEbOzijuq9BA==";
  }
  {
    path = "node_modules/jsonc-parser";
    url = "https://registry.npmjs.org/jsonc-parser/-/jsonc-parser-3.3.1.tgz";
    hash = "sha512-HUgH65KyejrUFPvHFPbqOY0rsFip3Bo5wb4ngvdi1EpCYWUQDC5V+Y7mZws+DLkr4M//zQJoanu1SP+87Dv1oQ==";
  }
  {
    path = "node_modules/libsql";
    url = "https://registry.npmjs.org/libsql/-/libsql-0.5.29.tgz";
    hash = "sha512-8lMP8iMgiBzzoNbAPQ59qdVcj6UaE/Vnm+fiwX4doX4Narook0a4GPKWBEv+CR8a1OwbfkgL18uBfBjWdF0Fzg==";
  }
  {
    path = "node_modules/longest-streak";
    url = "https://registry.npmjs.org/longest-streak/-/longest-streak-3.1.0.tgz";
    hash = "sha512-9Ri+o0JYgehTaVBBDoMqIl8GXtbWg711O3srftcHhZ0dqnETqLaoIK0x17fUw9rFSlK/0NlsKe0Ahhyl5pXE2g==";
  }
  {
    path = "node_modules/lowlight";
    url = "https://registry.npmjs.org/lowlight/-/lowlight-3.3.0.tgz";
    hash = "sha512-0JNhgFoPvP6U6lE/UdVsSq99tn6DhjjpAj5MxG49ewd2mOBVtwWYIT8ClyABhq198aXXODMU6Ox8DrGy/CpTZQ==";
  }
  {
    path = "node_modules/lowlight/node_modules/highlight.js";
    url = "https://registry.npmjs.org/highlight.js/-/highlight.js-11.11.2.tgz";
    hash = "sha512-oaXMACAU0kzOMXBjWpNcX+vlwSBCIAiZ9BHa7gA15NOTtT2L/l8OSZDuqS2XppOhZBPJ7hm4o8ep2kyuip2uEQ==";
  }
  {
    path = "node_modules/magic-string";
    url = "https://registry.npmjs.org/magic-string/-/magic-string-1.4.5.tgz";
    hash = "sha512-oLLC2+YvQUfAa+vxoufE/yc1icb87M9iXIRqAoR/2EhE/8cb3SF/+Gi0c2By1B+5Vz2e2vQtUvHiu1+63Znh+w==";
  }
  {
    path = "node_modules/markdown-table";
    url = "https://registry.npmjs.org/markdown-table/-/markdown-table-3.1.0.tgz";
    hash = "sha512-xpeSCdM+B+6P3ncfgaB7FoDbtJ30xAe6Z18TGT7AgXJsHqCElCICZovQqdRMm7kHgpTyYv36EupqewoFFSB8vw==";
  }
  {
    path = "node_modules/mdast-util-find-and-replace";
    url = "https://registry.npmjs.org/mdast-util-find-and-replace/-/mdast-util-find-and-replace-3.0.5.tgz";
    hash = "sha512-of3wZLEBWpK8mSYy8wmKnwyxfUKjhCkXxGLz45DVBqfcahTP37LscCK+0oAZh+ReZ5OunPDkB2zdGMIxrojLhw==";
  }
  {
    path = "node_modules/mdast-util-from-markdown";
    url = "https://registry.npmjs.org/mdast-util-from-markdown/-/mdast-util-from-markdown-2.1.0.tgz";
    hash = "sha512-KRLgmPaP2H1ul2bpoJkOS+9pAcDAAj9Nu1mqLnh8NLeJG5tlvj42TH80PIGBpROWlRXLk0lDrWNuZCFy/tsB4A==";
  }
  {
    path = "node_modules/mdast-util-gfm";
    url = "https://registry.npmjs.org/mdast-util-gfm/-/mdast-util-gfm-3.1.0.tgz";
    hash = "sha512-0ulfdQOM3ysHhCJ1p06l0b0VKlhU0wuQs3thxZQagjcjPrlFRqY215uZGHHJan9GEAXd9MbfPjFJz+qMkVR6zQ==";
  }
  {
    path = "node_modules/mdast-util-gfm-autolink-literal";
    url = "https://registry.npmjs.org/mdast-util-gfm-autolink-literal/-/mdast-util-gfm-autolink-literal-2.1.2.tgz";
    hash = "sha512-rAlbZBGZfv2YRr6lSFGHTN305KkNawOYRRlbldFyPHnTlHJZwlGdzVwyIDvr3fxbhRbmJOSZc06c8H5Fgfu8Ng==";
  }
  {
    path = "node_modules/mdast-util-gfm-footnote";
    url = "https://registry.npmjs.org/mdast-util-gfm-footnote/-/mdast-util-gfm-footnote-2.1.0.tgz";
    hash = "sha512-sqpDWlsHn7Ac9GNZQMeUzPQSMzR6Wv0WKRNvQRg0KqHh02fpTz69Qc1QSseNX29bhz1ROIyNyxExfawVKTm1GQ==";
  }
  {
    path = "node_modules/mdast-util-gfm-strikethrough";
    url = "https://registry.npmjs.org/mdast-util-gfm-strikethrough/-/mdast-util-gfm-strikethrough-2.0.1.tgz";
    hash = "sha512-OuJHqvr455pwu2OaOrir7dbzqs4jlWKOtlu9L6GjcIjjQwNyw02VntQsr/Ek6/A13vgnXfUhBekWRUP1OkNivw==";
  }
  {
    path = "node_modules/mdast-util-gfm-table";
    url = "https://registry.npmjs.org/mdast-util-gfm-table/-/mdast-util-gfm-table-2.0.1.tgz";
    hash = "sha512-fiIjPrAy4kz68/eFbPHhsiWDGHhqUSVoU1XsfLM5DsEPXw7MxgiVVyulUggFRckVWeT1KXQXkg5vm3kv4oMSOA==";
  }
  {
    path = "node_modules/mdast-util-gfm-task-list-item";
    url = "https://registry.npmjs.org/mdast-util-gfm-task-list-item/-/mdast-util-gfm-task-list-item-2.0.1.tgz";
    hash = "sha512-jXVO1hvB2hs82g1esi7I9nIJDqiijbQLIyH2jDUb5s7jIAZMr/79h0VHSq7XHKTqpLARRm+DDNjduB7S9+6XZA==";
  }
  {
    path = "node_modules/mdast-util-phrasing";
    url = "https://registry.npmjs.org/mdast-util-phrasing/-/mdast-util-phrasing-4.1.0.tgz";
    hash = "sha512-TqICwyvJJpBwvGAMZjj4J2n0X8QWp21b9l0o7eXyVJ25YNWYbJDVIyD1bZXE6WtV6RmKJVYmQAKWa0zWOABz2w==";
  }
  {
    path = "node_modules/mdast-util-to-hast";
    url = "https://registry.npmjs.org/mdast-util-to-hast/-/mdast-util-to-hast-13.2.2.tgz";
    hash = "sha512-l2pnmOuqs+SGLVpTVXnRLQu5v1AzvDe181404fbXzzqObVxrAnnVxapAP27pUwzLBL/ABIkgUhGlPVU7QSvIFg==";
  }
  {
    path = "node_modules/mdast-util-to-markdown";
    url = "https://registry.npmjs.org/mdast-util-to-markdown/-/mdast-util-to-markdown-2.2.5.tgz";
    hash = "sha512-mxOMQQ8NgisvTarkSUqZwi6GmzNo490V932DpEK/0+OETIeVJBzq4QuMt45fqqcsF5EYMlJENjSSAZxh89VJsg==";
  }
  {
    path = "node_modules/mdast-util-to-string";
    url = "https://registry.npmjs.org/mdast-util-to-string/-/mdast-util-to-string-4.0.0.tgz";
    hash = "sha512-0H44vDimn51F0YwvxSJSm0eCDOJTRlmN0R1yBh4HLj9wiV1Dn0QoXGbvFAWj2hSItVTlCmBF1hqKlIyUBVFLPg==";
  }
  {
    path = "node_modules/microdiff";
    url = "https://registry.npmjs.org/microdiff/-/microdiff-1.5.0.tgz";
    hash = "sha512-Drq+/THMvDdzRYrK0oxJmOKiC24ayUV8ahrt8l3oRK51PWt6gdtrIGrlIH3pT/lFh1z93FbAcidtsHcWbnRz8Q==";
  }
  {
    path = "node_modules/micromark";
    url = "https://registry.npmjs.org/micromark/-/micromark-4.0.3.tgz";
    hash = "sha512-oGYfQzHSG5dOMovQcJ3fyTmZlWAWpi0XA0sJwJs+i6OT88o1+Jtw/8z0CmdowSLxGhhFK89rQ/oXph/wN02PNw==";
  }
  {
    path = "node_modules/micromark-core-commonmark";
    url = "https://registry.npmjs.org/micromark-core-commonmark/-/micromark-core-commonmark-2.0.4.tgz";
    hash = "sha512-wxEeE8v8XVvOrxn1TZj74qYhAtTQsSqufHVS3uNVyT1MupXxhyaHk8/9xDNPh9BmL77QNDgWTkZ3RsYHB2ry7w==";
  }
  {
    path = "node_modules/micromark-extension-gfm";
    url = "https://registry.npmjs.org/micromark-extension-gfm/-/micromark-extension-gfm-3.0.0.tgz";
    hash = "sha512-vsKArQsicm7t0z2GugkCKtZehqUm31oeGBV/KVSorWSy8ZlNAv7ytjFhvaryUiCUJYqs+NoE6AFhpQvBTM6Q4w==";
  }
  {
    path = "node_modules/micromark-extension-gfm-autolink-literal";
    url = "https://registry.npmjs.org/micromark-extension-gfm-autolink-literal/-/micromark-extension-gfm-autolink-literal-2.1.0.tgz";
    hash = "sha512-oOg7knzhicgQ3t4QCjCWgTmfNhvQbDDnJeVu9v81r7NltNCVmhPy1fJRX27pISafdjL+SVc4d3l48Gb6pbRypw==";
  }
  {
    path = "node_modules/micromark-extension-gfm-footnote";
    url = "https://registry.npmjs.org/micromark-extension-gfm-footnote/-/micromark-extension-gfm-footnote-2.1.0.tgz";
    hash = "sha512-/yPhxI1ntnDNsiHtzLKYnE3vf9JZ6cAisqVDauhp4CEHxlb4uoOTxOCJ+9s51bIB8U1N1FJ1RXOKTIlD5B/gqw==";
  }
  {
    path = "node_modules/micromark-extension-gfm-strikethrough";
    url = "https://registry.npmjs.org/micromark-extension-gfm-strikethrough/-/micromark-extension-gfm-strikethrough-2.1.0.tgz";
    hash = "sha512-ADVjpOOkjz1hhkZLlBiYA9cR2Anf8F4HqZUO6e5eDcPQd0Txw5fxLzzxnEkSkfnD0wziSGiv7sYhk/ktvbf1uw==";
  }
  {
    path = "node_modules/micromark-extension-gfm-table";
    url = "https://registry.npmjs.org/micromark-extension-gfm-table/-/micromark-extension-gfm-table-2.1.2.tgz";
    hash = "sha512-pRzm4kDTu0MjlmBkxmS9yYhw60nncfcEwu9NNdPFSQEFXS95ZKyIIyTSHu/o3ReBUrLKYEq+7YaXCRn/bPB4MA==";
  }
  {
    path = "node_modules/micromark-extension-gfm-tagfilter";
    url = "https://registry.npmjs.org/micromark-extension-gfm-tagfilter/-/micromark-extension-gfm-tagfilter-2.0.0.tgz";
    hash = "sha512-xHlTOmuCSotIA8TW1mDIM6X2O1SiX5P9IuDtqGonFhEK0qgRI4yeC6vMxEV2dgyr2TiD+2PQ10o+cOhdVAcwfg==";
  }
  {
    path = "node_modules/micromark-extension-gfm-task-list-item";
    url = "https://registry.npmjs.org/micromark-extension-gfm-task-list-item/-/micromark-extension-gfm-task-list-item-2.1.0.tgz";
    hash = "sha512-qIBZhqxqI6fjLDYFTBIa4eivDMnP+OZqsNwmQ3xNLE4Cxwc+zfQEfbs6tzAo2Hjq+bh6q5F+Z8/cksrLFYWQQw==";
  }
  {
    path = "node_modules/micromark-factory-destination";
    url = "https://registry.npmjs.org/micromark-factory-destination/-/micromark-factory-destination-2.0.1.tgz";
    hash = "sha512-Xe6rDdJlkmbFRExpTOmRj9N3MaWmbAgdpSrBQvCFqhezUn4AHqJHbaEnfbVYYiexVSs//tqOdY/DxhjdCiJnIA==";
  }
  {
    path = "node_modules/micromark-factory-label";
    url = "https://registry.npmjs.org/micromark-factory-label/-/micromark-factory-label-2.0.1.tgz";
    hash = "sha512-VFMekyQExqIW7xIChcXn4ok29YE3rnuyveW3wZQWWqF4Nv9Wk5rgJ99KzPvHjkmPXF93FXIbBp6YdW3t71/7Vg==";
  }
  {
    path = "node_modules/micromark-factory-space";
    url = "https://registry.npmjs.org/micromark-factory-space/-/micromark-factory-space-2.1.0.tgz";
    hash = "sha512-fS8hnLIjnjvdQIj39Geug8wWsR0HrYZ43KShKxNfwT7t2LOHo/LbWZEzEaSOjwtjdCsjoE6syHhonEzW0zv0+Q==";
  }
  {
    path = "node_modules/micromark-factory-title";
    url = "https://registry.npmjs.org/micromark-factory-title/-/micromark-factory-title-2.0.1.tgz";
    hash = "sha512-5bZ+3CjhAd9eChYTHsjy6TGxpOFSKgKKJPJxr293jTbfry2KDoWkhBb6TcPVB4NmzaPhMs1Frm9AZH7OD4Cjzw==";
  }
  {
    path = "node_modules/micromark-factory-whitespace";
    url = "https://registry.npmjs.org/micromark-factory-whitespace/-/micromark-factory-whitespace-2.0.1.tgz";
    hash = "sha512-Ob0nuZ3PKt/n0hORHyvoD9uZhr+Za8sFoP+OnMcnWK5lngSzALgQYKMr9RJVOWLqQYuyn6ulqGWSXdwf6F80lQ==";
  }
  {
    path = "node_modules/micromark-util-character";
    url = "https://registry.npmjs.org/micromark-util-character/-/micromark-util-character-2.1.1.tgz";
    hash = "sha512-wv8tdUTJ3thSFFFJKtpYKOYiGP2+v96Hvk4Tu8KpCAsTMs6yi+nVmGh1syvSCsaxz45J6Jbw+9DD6g97+NV67Q==";
  }
  {
    path = "node_modules/micromark-util-chunked";
    url = "https://registry.npmjs.org/micromark-util-chunked/-/micromark-util-chunked-2.0.1.tgz";
    hash = "sha512-QUNFEOPELfmvv+4xiNg2sRYeS/P84pTW0TCgP5zc9FpXetHY0ab7SxKyAQCNCc1eK0459uoLI1y5oO5Vc1dbhA==";
  }
  {
    path = "node_modules/micromark-util-classify-character";
    url = "https://registry.npmjs.org/micromark-util-classify-character/-/micromark-util-classify-character-2.0.1.tgz";
    hash = "sha512-K0kHzM6afW/MbeWYWLjoHQv1sgg2Q9EccHEDzSkxiP/EaagNzCm7T/WMKZ3rjMbvIpvBiZgwR3dKMygtA4mG1Q==";
  }
  {
    path = "node_modules/micromark-util-combine-extensions";
    url = "https://registry.npmjs.org/micromark-util-combine-extensions/-/micromark-util-combine-extensions-2.0.1.tgz";
    hash = "sha512-OnAnH8Ujmy59JcyZw8JSbK9cGpdVY44NKgSM7E9Eh7DiLS2E9RNQf0dONaGDzEG9yjEl5hcqeIsj4hfRkLH/Bg==";
  }
  {
    path = "node_modules/micromark-util-decode-numeric-character-reference";
    url = "https://registry.npmjs.org/micromark-util-decode-numeric-character-reference/-/micromark-util-decode-numeric-character-reference-2.0.2.tgz";
    hash = "sha512-ccUbYk6CwVdkmCQMyr64dXz42EfHGkPQlBj5p7YVGzq8I7CtjXZJrubAYezf7Rp+bjPseiROqe7G6foFd+lEuw==";
  }
  {
    path = "node_modules/micromark-util-decode-string";
    url = "https://registry.npmjs.org/micromark-util-decode-string/-/micromark-util-decode-string-2.0.1.tgz";
    hash = "sha512-nDV/77Fj6eH1ynwscYTOsbK7rR//Uj0bZXBwJZRfaLEJ1iGBR6kIfNmlNqaqJf649EP0F3NWNdeJi03elllNUQ==";
  }
  {
    path = "node_modules/micromark-util-edit-map";
    url = "https://registry.npmjs.org/micromark-util-edit-map/-/micromark-util-edit-map-1.0.0.tgz";
    hash = "sha512-Pa2ljlsEL6sVwFaYeyrOLSYbQt73JvGbPOYFq+9AElXiSnfI5Q4465RRZ1sHv7lDjDOnGRDDaqPXqClqWK/q1Q==";
  }
  {
    path = "node_modules/micromark-util-encode";
    url = "https://registry.npmjs.org/micromark-util-encode/-/micromark-util-encode-2.0.1.tgz";
    hash = "sha512-c3cVx2y4KqUnwopcO9b/SCdo2O67LwJJ/UyqGfbigahfegL9myoEFoDYZgkT7f36T0bLrM9hZTAaAyH+PCAXjw==";
  }
  {
    path = "node_modules/micromark-util-html-tag-name";
    url = "https://registry.npmjs.org/micromark-util-html-tag-name/-/micromark-util-html-tag-name-2.0.1.tgz";
    hash = "sha512-2cNEiYDhCWKI+Gs9T0Tiysk136SnR13hhO8yW6BGNyhOC4qYFnwF1nKfD3HFAIXA5c45RrIG1ub11GiXeYd1xA==";
  }
  {
    path = "node_modules/micromark-util-normalize-identifier";
    url = "https://registry.npmjs.org/micromark-util-normalize-identifier/-/micromark-util-normalize-identifier-2.0.1.tgz";
    hash = "sha512-sxPqmo70LyARJs0w2UclACPUUEqltCkJ6PhKdMIDuJ3gSf/Q+/GIe3WKl0Ijb/GyH9lOpUkRAO2wp0GVkLvS9Q==";
  }
  {
    path = "node_modules/micromark-util-resolve-all";
    url = "https://registry.npmjs.org/micromark-util-resolve-all/-/micromark-util-resolve-all-2.0.1.tgz";
    hash = "sha512-VdQyxFWFT2/FGJgwQnJYbe1jjQoNTS4RjglmSjTUlpUMa95Htx9NHeYW4rGDJzbjvCsl9eLjMQwGeElsqmzcHg==";
  }
  {
    path = "node_modules/micromark-util-sanitize-uri";
    url = "https://registry.npmjs.org/micromark-util-sanitize-uri/-/micromark-util-sanitize-uri-2.0.1.tgz";
    hash = "sha512-9N9IomZ/YuGGZZmQec1MbgxtlgougxTodVwDzzEouPKo3qFWvymFHWcnDi2vzV1ff6kas9ucW+o3yzJK9YB1AQ==";
  }
  {
    path = "node_modules/micromark-util-subtokenize";
    url = "https://registry.npmjs.org/micromark-util-subtokenize/-/micromark-util-subtokenize-2.1.0.tgz";
    hash = "sha512-XQLu552iSctvnEcgXw6+Sx75GflAPNED1qx7eBJ+wydBb2KCbRZe+NwvIEEMM83uml1+2WSXpBAcp9IUCgCYWA==";
  }
  {
    path = "node_modules/micromark-util-symbol";
    url = "https://registry.npmjs.org/micromark-util-symbol/-/micromark-util-symbol-2.0.1.tgz";
    hash = "sha512-vs5t8Apaud9N28kgCrRUdEed4UJ+wWNvicHLPxCa9ENlYuAY31M0ETy5y1vA33YoNPDFTghEbnh6efaE8h4x0Q==";
  }
  {
    path = "node_modules/micromark-util-types";
    url = "https://registry.npmjs.org/micromark-util-types/-/micromark-util-types-2.0.3.tgz";
    hash = "sha512-oxB2Ik03hI0gv+VNn9tnh1t1YEe9MDPptViAEgfdf3YQHsn0pzGTgCdlSCJXcwhqm8phaEuM7zeEu3QQzVBrPg==";
  }
  {
    path = "node_modules/ms";
    url = "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz";
    hash = "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==";
  }
  {
    path = "node_modules/nanoid";
    url = "https://registry.npmjs.org/nanoid/-/nanoid-5.1.16.tgz";
    hash = "sha512-kVrnsrJqMR8+oLJnGEmSWw9BivK5mt7H3FZatVRjrc5wGqFYuBxX1yG7+A7Gi5AefkX6t/oCkizcQgpu0cY1dQ==";
  }
  {
    path = "node_modules/neverpanic";
    url = "https://registry.npmjs.org/neverpanic/-/neverpanic-0.0.8.tgz";
    hash = "sha512-vVdkelrLxaow/fdWDumzNBO+jwm6X8bxeLJc34THtpj70u0C5QBkcV6CRCu2X726km7XD45N0A3QtYCla4RvKw==";
  }
  {
    path = "node_modules/openapi-fetch";
    url = "https://registry.npmjs.org/openapi-fetch/-/openapi-fetch-0.17.0.tgz";
    hash = "sha512-PsbZR1wAPcG91eEthKhN+Zn92FMHxv+/faECIwjXdxfTODGSGegYv0sc1Olz+HYPvKOuoXfp+0pA2XVt2cI0Ig==";
  }
  {
    path = "node_modules/openapi-typescript-helpers";
    url = "https://registry.npmjs.org/openapi-typescript-helpers/-/openapi-typescript-helpers-0.1.0.tgz";
    hash = "sha512-OKTGPthhivLw/fHz6c3OPtg72vi86qaMlqbJuVJ23qOvQ+53uw1n7HdmkJFibloF7QEjDrDkzJiOJuockM/ljw==";
  }
  {
    path = "node_modules/openapi3-ts";
    url = "https://registry.npmjs.org/openapi3-ts/-/openapi3-ts-4.6.2.tgz";
    hash = "sha512-gyyil3DweqhXiEhTqtAs9wwRLfWHmetwhI4kmM5Rn0d6gtmK863Ki7qqbQnp9+Wwlqoe3B1LFWj7kMp5ctE4rQ==";
  }
  {
    path = "node_modules/oxc-walker";
    url = "https://registry.npmjs.org/oxc-walker/-/oxc-walker-1.1.1.tgz";
    hash = "sha512-Hwd7dq28zu/Er99+bpWp16CGwFrhyalJh0W3JOB7XpPvgWo3MqMi2ksWGKuzzA9zt50mJ2pIUwR5lpAdZ9ACNQ==";
  }
  {
    path = "node_modules/parse5";
    url = "https://registry.npmjs.org/parse5/-/parse5-8.1.1.tgz";
    hash = "sha512-EcR/6WDcU7b2N3vQSxKALCk9lXGtUMQxXio008OEMBE0kavu/7JLfBEeFPzi43nMqVDSbEn3QCK+BMCc9zO//w==";
  }
  {
    path = "node_modules/parse5/node_modules/entities";
    url = "https://registry.npmjs.org/entities/-/entities-9.0.0.tgz";
    hash = "sha512-oJFNDJg3kTPwAD1cNn2+WmUq4wFoo09npc3Ydf1D7ED4smRiWrsKnaLxykrTWgyGEcusc87P5dxlAleol9kpkg==";
  }
  {
    path = "node_modules/pathe";
    url = "https://registry.npmjs.org/pathe/-/pathe-2.0.3.tgz";
    hash = "sha512-WUjGcAqP1gQacoQe+OBJsFA7Ld4DyXuUIjZ5cc75cLHvJ7dtNsTugphxIADwspS+AraAUePCKrSVtPLFj/F88w==";
  }
  {
    path = "node_modules/picocolors";
    url = "https://registry.npmjs.org/picocolors/-/picocolors-1.1.1.tgz";
    hash = "sha512-xceH2snhtb5M9liqDsmEw56le376mTZkEX/jEb/RxNFyegNul7eNslCXP9FDj/Lcu0X8KEyMceP2ntpaHrDEVA==";
  }
  {
    path = "node_modules/picomatch";
    url = "https://registry.npmjs.org/picomatch/-/picomatch-4.0.7.tgz";
    hash = "sha512-qcJu88Q2IWqJsDD529JKMdwGm/dvInW4HvQnRwiH9JtihJvzGOscDtHE3x1pBKeUOTysQ8kVmLnJ2kJu7yhcGA==";
  }
  {
    path = "node_modules/postcss";
    url = "https://registry.npmjs.org/postcss/-/postcss-8.5.34.tgz";
    hash = "sha512-P1Qzj0XXZjMda74C7qiVnBG90UKNbyNUAOeQRBW8X63RsIMV57gevRqjnkELdwtZ/S2/uQFksJhmwuN8xShLPw==";
  }
  {
    path = "node_modules/postcss/node_modules/nanoid";
    url = "https://registry.npmjs.org/nanoid/-/nanoid-3.3.20.tgz";
    hash = "sha512-uKdg2G3GNCKQn9byYOpxbGqrT2fGO5KRt5J/8b3pok8rT6qxGWF6hxMyJiEYtAf+FVyYuD9hRaDqX5uPFYJ4ZQ==";
  }
  {
    path = "node_modules/pretty-ms";
    url = "https://registry.npmjs.org/pretty-ms/-/pretty-ms-10.0.0.tgz";
    hash = "sha512-6BWuxY2dCNgT45VnGzZcfNy7WeLqXiZqhhy4aHThTE6KI56R2ZBw9HQ7spPFKYchDizvJbPxTEknIpmW4FSmQA==";
  }
  {
    path = "node_modules/prom-client";
    url = "https://registry.npmjs.org/prom-client/-/prom-client-15.1.3.tgz";
    hash = "sha512-6ZiOBfCywsD4k1BN9IX0uZhF+tJkV8q8llP64G5Hajs4JOeVLPCwpPVcpXy3BwYiUGgyJzsJJQeOIv7+hDSq8g==";
  }
  {
    path = "node_modules/promise-limit";
    url = "https://registry.npmjs.org/promise-limit/-/promise-limit-2.7.0.tgz";
    hash = "sha512-7nJ6v5lnJsXwGprnGXga4wx6d1POjvi5Qmf1ivTRxTjH4Z/9Czja/UCMLVmB9N93GeWOU93XaFaEt6jbuoagNw==";
  }
  {
    path = "node_modules/property-information";
    url = "https://registry.npmjs.org/property-information/-/property-information-7.2.0.tgz";
    hash = "sha512-IAtzIB6sUiWaJYrX9smp3V46pBGbBeLFRGdh25kg1334VcBlD8HzhPeNIWQH9zhGmo2itIe25EHt9dQP7G5hmg==";
  }
  {
    path = "node_modules/radix-vue";
    url = "https://registry.npmjs.org/radix-vue/-/radix-vue-1.9.17.tgz";
    hash = "sha512-mVCu7I2vXt1L2IUYHTt0sZMz7s1K2ZtqKeTIxG3yC5mMFfLBG4FtE1FDeRMpDd+Hhg/ybi9+iXmAP1ISREndoQ==";
  }
  {
    path = "node_modules/radix-vue/node_modules/@floating-ui/vue";
    url = "https://registry.npmjs.org/@floating-ui/vue/-/vue-1.1.11.tgz";
    hash = "sha512-HzHKCNVxnGS35r9fCHBc3+uCnjw9IWIlCPL683cGgM9Kgj2BiAl8x1mS7vtvP6F9S/e/q4O6MApwSHj8hNLGfw==";
  }
  {
    path = "node_modules/radix-vue/node_modules/@vueuse/core";
    url = "https://registry.npmjs.org/@vueuse/core/-/core-10.11.1.tgz";
    hash = "sha512-guoy26JQktXPcz+0n3GukWIy/JDNKti9v6VEMu6kV2sYBsWuGiTU8OWdg+ADfUbHg3/3DlqySDe7JmdHrktiww==";
  }
  {
    path = "node_modules/radix-vue/node_modules/@vueuse/core/node_modules/@types/web-bluetooth";
    url = "https://registry.npmjs.org/@types/web-bluetooth/-/web-bluetooth-0.0.20.tgz";
    hash = "sha512-g9gZnnXVq7gM7v3tJCWV/qw7w+KeOlSHAhgF9RytFyifW6AF61hdT2ucrYhPq9hLs5JIryeupHV3qGk95dH9ow==";
  }
  {
    path = "node_modules/radix-vue/node_modules/@vueuse/core/node_modules/@vueuse/metadata";
    url = "https://registry.npmjs.org/@vueuse/metadata/-/metadata-10.11.1.tgz";
    hash = "sha512-IGa5FXd003Ug1qAZmyE8wF3sJ81xGLSqTqtQ6jaVfkeZ4i5kS2mwQF61yhVqojRnenVew5PldLyRgvdl4YYuSw==";
  }
  {
    path = "node_modules/radix-vue/node_modules/@vueuse/shared";
    url = "https://registry.npmjs.org/@vueuse/shared/-/shared-10.11.1.tgz";
    hash = "sha512-LHpC8711VFZlDaYUXEBbFBCQ7GS3dVU9mjOhhMhXP6txTV4EhYQg/KGnQuvt/sPAtoUKq7VVUnL6mVtFoL42sA==";
  }
  {
    path = "node_modules/rehype-external-links";
    url = "https://registry.npmjs.org/rehype-external-links/-/rehype-external-links-3.0.0.tgz";
    hash = "sha512-yp+e5N9V3C6bwBeAC4n796kc86M4gJCdlVhiMTxIrJG5UHDMh+PJANf9heqORJbt1nrCbDwIlAZKjANIaVBbvw==";
  }
  {
    path = "node_modules/rehype-format";
    url = "https://registry.npmjs.org/rehype-format/-/rehype-format-5.0.1.tgz";
    hash = "sha512-zvmVru9uB0josBVpr946OR8ui7nJEdzZobwLOOqHb/OOD88W0Vk2SqLwoVOj0fM6IPCCO6TaV9CvQvJMWwukFQ==";
  }
  {
    path = "node_modules/rehype-minify-whitespace";
    url = "https://registry.npmjs.org/rehype-minify-whitespace/-/rehype-minify-whitespace-6.0.2.tgz";
    hash = "sha512-Zk0pyQ06A3Lyxhe9vGtOtzz3Z0+qZ5+7icZ/PL/2x1SHPbKao5oB/g/rlc6BCTajqBb33JcOe71Ye1oFsuYbnw==";
  }
  {
    path = "node_modules/rehype-parse";
    url = "https://registry.npmjs.org/rehype-parse/-/rehype-parse-9.0.1.tgz";
    hash = "sha512-ksCzCD0Fgfh7trPDxr2rSylbwq9iYDkSn8TCDmEJ49ljEUBxDVCzCHv7QNzZOfODanX4+bWQ4WZqLCRWYLfhag==";
  }
  {
    path = "node_modules/rehype-raw";
    url = "https://registry.npmjs.org/rehype-raw/-/rehype-raw-7.0.0.tgz";
    hash = "sha512-/aE8hCfKlQeA8LmyeyQvQF3eBiLRGNlfBJEvWH7ivp9sBqs7TNqBL5X3v157rM4IFETqDnIOO+z5M/biZbo9Ww==";
  }
  {
    path = "node_modules/rehype-remark";
    url = "https://registry.npmjs.org/rehype-remark/-/rehype-remark-10.0.1.tgz";
    hash = "sha512-EmDndlb5NVwXGfUa4c9GPK+lXeItTilLhE6ADSaQuHr4JUlKw9MidzGzx4HpqZrNCt6vnHmEifXQiiA+CEnjYQ==";
  }
  {
    path = "node_modules/rehype-sanitize";
    url = "https://registry.npmjs.org/rehype-sanitize/-/rehype-sanitize-6.0.0.tgz";
    hash = "sha512-CsnhKNsyI8Tub6L4sm5ZFsme4puGfc6pYylvXo1AeqaGbjOYyzNv3qZPwvs0oMJ39eryyeOdmxwUIo94IpEhqg==";
  }
  {
    path = "node_modules/rehype-stringify";
    url = "https://registry.npmjs.org/rehype-stringify/-/rehype-stringify-10.0.1.tgz";
    hash = "sha512-k9ecfXHmIPuFVI61B9DeLPN0qFHfawM6RsuX48hoqlaKSF61RskNjSm1lI8PhBEM0MRdLxVVm4WmTqJQccH9mA==";
  }
  {
    path = "node_modules/remark-gfm";
    url = "https://registry.npmjs.org/remark-gfm/-/remark-gfm-4.0.1.tgz";
    hash = "sha512-1quofZ2RQ9EWdeN34S79+KExV1764+wCUGop5CPL1WGdD0ocPpu91lzPGbwWMECpEpd42kJGQwzRfyov9j4yNg==";
  }
  {
    path = "node_modules/remark-parse";
    url = "https://registry.npmjs.org/remark-parse/-/remark-parse-11.0.0.tgz";
    hash = "sha512-FCxlKLNGknS5ba/1lmpYijMUzX2esxW5xQqjWxw2eHFfS2MSdaHVINFmhjo+qN1WhZhNimq0dZATN9pH0IDrpA==";
  }
  {
    path = "node_modules/remark-rehype";
    url = "https://registry.npmjs.org/remark-rehype/-/remark-rehype-11.1.2.tgz";
    hash = "sha512-Dh7l57ianaEoIpzbp0PC9UKAdCSVklD8E5Rpw7ETfbTl3FqcOOgq5q2LVDhgGCkaBv7p24JXikPdvhhmHvKMsw==";
  }
  {
    path = "node_modules/remark-stringify";
    url = "https://registry.npmjs.org/remark-stringify/-/remark-stringify-11.0.0.tgz";
    hash = "sha512-1OSmLd3awB/t8qdoEOMazZkNsfVTeY4fTsgzcQFdXNq8ToTN4ZGwrMnlda4K6smTFKD+GRV6O48i6Z4iKgPPpw==";
  }
  {
    path = "node_modules/set-cookie-parser";
    url = "https://registry.npmjs.org/set-cookie-parser/-/set-cookie-parser-3.1.3.tgz";
    hash = "sha512-xletSdAI5efyVJjsatBbzDkXl3M/Zmad3xfnQe7ZXuBB0yNwW7C2WFsNGjdRNfZunmNHQuX79xs/ACMTLCdcew==";
  }
  {
    path = "node_modules/source-map-js";
    url = "https://registry.npmjs.org/source-map-js/-/source-map-js-1.3.0.tgz";
    hash = "sha512-pdUVfIWcK0kCgK831ibqkZDcL7I9zljjOu0TQFnA+fiQ6y1CYqYB7RkTOHHO45FGMg5P/Mvk/+4ToQ7gAYAL5Q==";
  }
  {
    path = "node_modules/space-separated-tokens";
    url = "https://registry.npmjs.org/space-separated-tokens/-/space-separated-tokens-2.0.2.tgz";
    hash = "sha512-PEGlAwrG8yXGXRjW32fGbg66JAlOAwbObuqVoJpv/mRgoWDQfgH1wDPvtzWyUSNAXBGSk8h755YDbbcEy3SH2Q==";
  }
  {
    path = "node_modules/standardwebhooks";
    url = "https://registry.npmjs.org/standardwebhooks/-/standardwebhooks-1.3.0.tgz";
    hash = "sha512-5W9skHjqAm2dlA9wWvglTP+oX47JX4lFXVk1aJV7+TG1snvTR4QXaVgPscEzvOw9GRreeavMwbqEeL+MGhZHCg==";
  }
  {
    path = "node_modules/string-byte-length";
    url = "https://registry.npmjs.org/string-byte-length/-/string-byte-length-3.0.1.tgz";
    hash = "sha512-yJ8vP0HMwZ54CcA8S8mKoXbkezpZHANFtmafFo8lGxZThCQcAwRHjdFabuSLgOzxj9OFJcmssmiAvmcOK4O2Hw==";
  }
  {
    path = "node_modules/string-byte-slice";
    url = "https://registry.npmjs.org/string-byte-slice/-/string-byte-slice-3.0.1.tgz";
    hash = "sha512-GWv2K4lYyd2+AhmKH3BV+OVx62xDX+99rSLfKpaqFiQU7uOMaUY1tDjdrRD4gsrCr9lTyjMgjna7tZcCOw+Smg==";
  }
  {
    path = "node_modules/stringify-entities";
    url = "https://registry.npmjs.org/stringify-entities/-/stringify-entities-4.0.5.tgz";
    hash = "sha512-jNuI2fNNw5ecxrWmgm90R3iH0Kc/94AQwoQWoSUYphWzvmUA2pjFG34H56Z7Z3FkvH3FpYwwewKAa97oQnPFhw==";
  }
  {
    path = "node_modules/style-mod";
    url = "https://registry.npmjs.org/style-mod/-/style-mod-4.1.5.tgz";
    hash = "sha512-WQ2llCZa9sZSkJA+aOwpg5DkfbAXFKGh//t3MRTBeruFiSBC+GXUmbBzrw3bXyboCWAbtCW9InDfBsXrRD/rAg==";
  }
  {
    path = "node_modules/swrv";
    url = "https://registry.npmjs.org/swrv/-/swrv-1.3.0.tgz";
    hash = "sha512-6uyQ79QemgpJzdwVNkxZdypTmKC80uHdjSZGAGo0HnizL2AzQJUZXQFR3KZq8yru32IC7HngiBA7o2FtL/Lozw==";
  }
  {
    path = "node_modules/tabbable";
    url = "https://registry.npmjs.org/tabbable/-/tabbable-6.5.2.tgz";
    hash = "sha512-XgdnB1nGU6KU4VgMnZPaZCx7M1hBrLyEiZYau2G2gq9UT0d7d4FUBlNX7vvPlm/B1vk1PjrzJBx9Lbv4fsqS9g==";
  }
  {
    path = "node_modules/tagged-tag";
    url = "https://registry.npmjs.org/tagged-tag/-/tagged-tag-1.0.0.tgz";
    hash = "sha512-yEFYrVhod+hdNyx7g5Bnkkb0G6si8HJurOoOEgC8B/O0uXLHlaey/65KRv6cuWBNhBgHKAROVpc7QyYqE5gFng==";
  }
  {
    path = "node_modules/tailwind-merge";
    url = "https://registry.npmjs.org/tailwind-merge/-/tailwind-merge-3.7.0.tgz";
    hash = "sha512-XPPUyAc+cvspz3lHTcR/QgPfW2A0lv/xQNIjX3HGhLR+Nq2lHaLq5MtTesHn8GUr3W3DguT2KT5x3NVgRtYwmA==";
  }
  {
    path = "node_modules/tailwindcss";
    url = "https://registry.npmjs.org/tailwindcss/-/tailwindcss-4.3.5.tgz";
    hash = "sha512-FcQk9BuffmEHJP2G0XmB2SplU1aLTI7j07Kunk+U74Ny+XiWOtzXz9aujFZ/avntw1e2cOv/3PkgzflQ7gX2vQ==";
  }
  {
    path = "node_modules/tdigest";
    url = "https://registry.npmjs.org/tdigest/-/tdigest-0.1.3.tgz";
    hash = "sha512-zbRt+lT+/H4fRItHshczHErVCQnitJk8MfMT24MqFJf3YL7SJJPqGIGeuOdvxXxM/AHFzKBl7WoyaYwqO9s3Kw==";
  }
  {
    path = "node_modules/trim-lines";
    url = "https://registry.npmjs.org/trim-lines/-/trim-lines-3.0.1.tgz";
    hash = "sha512-kRj8B+YHZCc9kQYdWfJB2/oUl9rA99qbowYYBtr4ui4mZyAQ2JpvVBd/6U2YloATfqBhBTSMhTpgBHtU0Mf3Rg==";
  }
  {
    path = "node_modules/trim-trailing-lines";
    url = "https://registry.npmjs.org/trim-trailing-lines/-/trim-trailing-lines-2.1.0.tgz";
    hash = "sha512-5UR5Biq4VlVOtzqkm2AZlgvSlDJtME46uV0br0gENbwN4l5+mMKT4b9gJKqWtuL2zAIqajGJGuvbCbcAJUZqBg==";
  }
  {
    path = "node_modules/trough";
    url = "https://registry.npmjs.org/trough/-/trough-2.2.0.tgz";
    hash = "sha512-tmMpK00BjZiUyVyvrBK7knerNgmgvcV/KLVyuma/SC+TQN167GrMRciANTz09+k3zW8L8t60jWO1GpfkZdjTaw==";
  }
  {
    path = "node_modules/truncate-json";
    url = "https://registry.npmjs.org/truncate-json/-/truncate-json-3.0.1.tgz";
    hash = "sha512-QVsbr1WhGLq2F0oDyYbqtOXcf3gcnL8C9H5EX8bBwAr8ZWvWGJzukpPrDrWgJMrNtgDbo74BIjI4kJu3q2xQWw==";
  }
  {
    path = "node_modules/tslib";
    url = "https://registry.npmjs.org/tslib/-/tslib-2.9.1.tgz";
    hash = "sha512-a4Ux9VKuIMHsOS7ENbEq6hK2ZGYIT27Rtl0E4eD9KqwxhKiQeMZE/9xb3IdYwWaSOyIBQLExhQgXDTYoiCxnWA==";
  }
  {
    path = "node_modules/undici-types";
    url = "https://registry.npmjs.org/undici-types/-/undici-types-8.9.0.tgz";
    hash = "sha512-KTDyRTYX8sWmKXAikPHHSyc63CRPETMctyjKFupcC6OBLXT3xsN0e9aF7m+mIXutFWpUXuedtowG7iLOzp0kQg==";
  }
  {
    path = "node_modules/unhead";
    url = "https://registry.npmjs.org/unhead/-/unhead-3.4.3.tgz";
    hash = "sha512-0FZI/qCCyIey14CKlGMFpiQumWSatlthJy7Xvro7H3nmi/V2owkcCXG03k0GXDc2/TV1K6bvrbAwhzTRe5Nhdw==";
  }
  {
    path = "node_modules/unified";
    url = "https://registry.npmjs.org/unified/-/unified-11.0.5.tgz";
    hash = "sha512-xKvGhPWw3k84Qjh8bI3ZeJjqnyadK+GEFtazSfZv/rKeTkTjOJho6mFqh2SM96iIcZokxiOpg78GazTSg8+KHA==";
  }
  {
    path = "node_modules/unist-util-is";
    url = "https://registry.npmjs.org/unist-util-is/-/unist-util-is-6.0.1.tgz";
    hash = "sha512-LsiILbtBETkDz8I9p1dQ0uyRUWuaQzd/cuEeS1hoRSyW5E5XGmTzlwY1OrNzzakGowI9Dr/I8HVaw4hTtnxy8g==";
  }
  {
    path = "node_modules/unist-util-position";
    url = "https://registry.npmjs.org/unist-util-position/-/unist-util-position-5.0.0.tgz";
    hash = "sha512-fucsC7HjXvkB5R3kTCO7kUjRdrS0BJt3M/FPxmHMBOm8JQi2BsHAHFsy27E0EolP8rp0NzXsJ+jNPyDWvOJZPA==";
  }
  {
    path = "node_modules/unist-util-stringify-position";
    url = "https://registry.npmjs.org/unist-util-stringify-position/-/unist-util-stringify-position-4.0.0.tgz";
    hash = "sha512-0ASV06AAoKCDkS2+xw5RXJywruurpbC4JZSm7nr7MOt1ojAzvyyaO+UxZf18j8FCF6kmzCZKcAgN/yu2gm2XgQ==";
  }
  {
    path = "node_modules/unist-util-visit";
    url = "https://registry.npmjs.org/unist-util-visit/-/unist-util-visit-5.2.0.tgz";
    hash = "sha512-fpsYs/VVoZxfGY9/j3FQpZmN8wdLJaV1Pt38AaJNZu9uKIHcFU3halCdBveEq1HGKO1OEfJY65w1zvoFV1b3qQ==";
  }
  {
    path = "node_modules/unist-util-visit-parents";
    url = "https://registry.npmjs.org/unist-util-visit-parents/-/unist-util-visit-parents-6.1.0.tgz";
    hash = "sha512-vKXxz6O38sKDj1mtx/k2cWvkkFBuYGx6uGrlzBkVeWCRF/F8sdI0j3Wbkz/5rVNRRuVc8UrgRdbCxNhmYXgP3w==";
  }
  {
    path = "node_modules/unplugin";
    url = "https://registry.npmjs.org/unplugin/-/unplugin-3.7.0.tgz";
    hash = "sha512-GrM2uq3DQo3hvLU2FjeYhooJ8BY9N6j1Fbzgx7Pta3VVJevsD3VP4dPjZkZOS0mLvN8w9zzr9OlP+31bSMyuLw==";
  }
  {
    path = "node_modules/vfile";
    url = "https://registry.npmjs.org/vfile/-/vfile-6.0.3.tgz";
    hash = "sha512-KzIbH/9tXat2u30jf+smMwFCsno4wHVdNmzFyL+T/L3UGqqk6JKfVqOFOZEpZSHADH1k40ab6NUIXZq422ov3Q==";
  }
  {
    path = "node_modules/vfile-location";
    url = "https://registry.npmjs.org/vfile-location/-/vfile-location-5.0.4.tgz";
    hash = "sha512-vEvxatYZCIpNvzGk2UD+u4I/sZkSKoOsdRCbkOIsN73QpJbriJ1qvvBAL1PeI0y55Leoqf7pORbaSPpG/smmOg==";
  }
  {
    path = "node_modules/vfile-message";
    url = "https://registry.npmjs.org/vfile-message/-/vfile-message-4.0.4.tgz";
    hash = "sha512-66ycRswIkNmHH9PHku7ADtv5RVwgIrOcuv3J8Svz6h4qgGRrKVa+9/neuKyJZUXyOpYwLTvS+whZ4R2urHHgQg==";
  }
  {
    path = "node_modules/vue";
    url = "https://registry.npmjs.org/vue/-/vue-3.5.47.tgz";
    hash = "sha512-eb2WX28Y895u9wSVVDXr5pvipHb3U8wSvYqoT5UUqG5idmNjT169BDnhigOfkEP+zI6nDVnhHqZgrERpJ90M0w==";
  }
  {
    path = "node_modules/vue-component-type-helpers";
    url = "https://registry.npmjs.org/vue-component-type-helpers/-/vue-component-type-helpers-3.3.14.tgz";
    hash = "sha512-Pq3+OnbCiPCHk0R7KSZrx+j/XXaUn2kSQ1epxq60w8CPbByLjC1EJgV51n4WY851sTXUVzsNMuitywdkdVyKjA==";
  }
  {
    path = "node_modules/vue-demi";
    url = "https://registry.npmjs.org/vue-demi/-/vue-demi-0.14.10.tgz";
    hash = "sha512-nMZBOwuzabUO0nLgIcc6rycZEebF6eeUfaiQx9+WSk8e29IbLvPU9feI6tqW4kTo3hvoYAJkMh8n8D0fuISphg==";
  }
  {
    path = "node_modules/vue-sonner";
    url = "https://registry.npmjs.org/vue-sonner/-/vue-sonner-2.0.9.tgz";
    hash = "sha512-i6BokNlNDL93fpzNxN/LZSn6D6MzlO+i3qXt6iVZne3x1k7R46d5HlFB4P8tYydhgqOrRbIZEsnRd3kG7qGXyw==";
  }
  {
    path = "node_modules/w3c-keyname";
    url = "https://registry.npmjs.org/w3c-keyname/-/w3c-keyname-2.2.8.tgz";
    hash = "sha512-dpojBhNsCNN7T82Tm7k26A6G9ML3NkhDsnw9n/eoxSRlVBB4CEtIQ/KTCLI2Fwf3ataSXRhYFkQi3SlnFwPvPQ==";
  }
  {
    path = "node_modules/web-namespaces";
    url = "https://registry.npmjs.org/web-namespaces/-/web-namespaces-2.0.1.tgz";
    hash = "sha512-bKr1DkiNa2krS7qxNtdrtHAmzuYGFQLiQ13TsorsdT6ULTkPLKuu5+GsFpDlg6JFjUTwX2DyhMPG2be8uPrqsQ==";
  }
  {
    path = "node_modules/webpack-virtual-modules";
    url = "https://registry.npmjs.org/webpack-virtual-modules/-/webpack-virtual-modules-0.6.2.tgz";
    hash = "sha512-66/V2i5hQanC51vBQKPH4aI8NMAcBW59FVBs+rC7eGHupMyfn34q7rZIE+ETlJ+XTevqfUhVVBgSUNSW2flEUQ==";
  }
  {
    path = "node_modules/ws";
    url = "https://registry.npmjs.org/ws/-/ws-8.23.0.tgz";
    hash = "sha512-wCkmX8QMOrKjgO8HW2WyDbTSGeqkocxgDzS9iR79rEAexty6/2qzilx3Ag8Tqf9ykop3irLKle0MtVn5qjVnoQ==";
  }
  {
    path = "node_modules/yaml";
    url = "https://registry.npmjs.org/yaml/-/yaml-2.9.1.tgz";
    hash = "sha512-3NxN8+78OdzbT7C/WjGsyfPAtJaN3FNDsWxv7Y7mcDsT/oOmgW8BpyQQFFBnvZE3j9Y2Sdz1ULFLezL7Eb2yFw==";
  }
  {
    path = "node_modules/zod";
    url = "https://registry.npmjs.org/zod/-/zod-4.6.7.tgz";
    hash = "sha512-g8W2D2kU6a8untc053fX1uVBKzM7yqAxW/3zwk83+6RyF2+SKOuV+c0wBDhUwzV1PaGapmZH+rmcUzPf+3CGwg==";
  }
  {
    path = "node_modules/zwitch";
    url = "https://registry.npmjs.org/zwitch/-/zwitch-2.0.4.tgz";
    hash = "sha512-bXE4cR/kVZhKZX/RjPEflHaKVhUVl85noU3v6b8apfQEc1x4A+zBxjZ4lN8LqGd6WZ3dl98pY4o717VFmoPp+A==";
  }
]
