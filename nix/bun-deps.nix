# Generated from bun.lock by scripts/nix-deps.ts; do not edit. Run `bun run nix:deps` after
# every change to bun.lock (test/unit/nix-deps.test.ts fails while this file is stale).
#
# The npm packages the build needs: bun.lock's dependencies and what they pull in, without
# devDependencies, for Linux. Each goes to its place in node_modules as bun.lock lays it out
# (`path`) and is fetched by the hash bun.lock records; `cpu` (Node's names) limits a package
# to those CPUs. nix/node-modules.nix builds node_modules from this list.
[
  {
    path = "node_modules/@asteasolutions/zod-to-openapi";
    url = "https://registry.npmjs.org/@asteasolutions/zod-to-openapi/-/zod-to-openapi-9.1.0.tgz";
    hash = "sha512-pLMeRgRYS7/vZIgAAkOe2P6+XGTifR1MT9pqDoxZ11EmcJJ+DPmdPqLN8ZZF4U8R9KHCCQCS9c2wtuE8wSrfkw==";
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
    path = "node_modules/@scalar/api-reference";
    url = "https://registry.npmjs.org/@scalar/api-reference/-/api-reference-1.76.0.tgz";
    hash = "sha512-pjqwnzmA9YK3ZX+IZSICMsywm4qI6HLSngR2py9H6TvFApHHuJjkTAd+gFJfnqJDzJuro8k7ji6JCtJ2U+Byng==";
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
    path = "node_modules/@scalar/hono-api-reference";
    url = "https://registry.npmjs.org/@scalar/hono-api-reference/-/hono-api-reference-0.12.4.tgz";
    hash = "sha512-/Srs98YbTAXKIyw2IdATKMyB/rz5oUrzP9uBkNIQo4bk5f9D7qywavtZFClCMZ0a7zvTzFsJeggaOPC+1qqOVg==";
  }
  {
    path = "node_modules/@stablelib/base64";
    url = "https://registry.npmjs.org/@stablelib/base64/-/base64-1.0.1.tgz";
    hash = "sha512-1bnPQqSxSuc3Ii6MhBysoWCg58j97aUjuCSZrGSmDxNqtytIi0k8utUenAwTZN4V5mXXYGsVUI9zeBqy+jBOSQ==";
  }
  {
    path = "node_modules/@types/node";
    url = "https://registry.npmjs.org/@types/node/-/node-26.6.6.tgz";
    hash = "sha512-MzQj+8Kx3XI40OmUAE6Qoh58ZMNstNNMwn2nfd3qWsfe7nDNSqJNzes4njhz6AHwrSHOffSLwXU6yb474Q4aog==";
  }
  {
    path = "node_modules/@types/ws";
    url = "https://registry.npmjs.org/@types/ws/-/ws-8.18.2.tgz";
    hash = "sha512-67MQl+fpWKVTT1NYdnmo3U4sc/xPo/zQBncVnI74qmQa0z/b+1g6iYqNmGCPbxO+zz2aklb08a0oHfegiVd0/w==";
  }
  {
    path = "node_modules/bintrees";
    url = "https://registry.npmjs.org/bintrees/-/bintrees-1.0.2.tgz";
    hash = "sha512-VOMgTMwjAaUG580SXn3LacVgjurrbMme7ZZNYGSSV7mmtY6QQRh0Eg3pwIcntQ77DErK1L0NxkbetjcoXzVwKw==";
  }
  {
    path = "node_modules/croner";
    url = "https://registry.npmjs.org/croner/-/croner-11.0.1.tgz";
    hash = "sha512-/fmHcoczPy5cMcmJ6ex7J7LAwb545V1dNmRrdDGP3hwStg/06IYP56YgBySCSdWGDz2PJYQyDukaR8b8R5o2HA==";
  }
  {
    path = "node_modules/csv-stringify";
    url = "https://registry.npmjs.org/csv-stringify/-/csv-stringify-6.9.0.tgz";
    hash = "sha512-6b3e29CILFfSQ2nDRuZMRROzQOpPuJ+s8zPB5H7eK5ncXBbFOyVuRLU5Sx/zAUmVri3Ly49GyC8NEme4SVSAbA==";
  }
  {
    path = "node_modules/detect-libc";
    url = "https://registry.npmjs.org/detect-libc/-/detect-libc-2.0.2.tgz";
    hash = "sha512-UX6sGumvvqSaXgdKGUsgZWqcUyIXZ/vZTrlRT/iobiKhGL0zL4d3osHj3uqllWJK+i+sixDS/3COVEOFbupFyw==";
  }
  {
    path = "node_modules/drizzle-orm";
    url = "https://registry.npmjs.org/drizzle-orm/-/drizzle-orm-0.45.4.tgz";
    hash = "sha512-NiM1YZpJ2UxyeE67DpDDZ+Tsw4YLX3trSlkNT7Tm9eKoUNb1LvaAaQzXgYQsWs+AQ9TUmmwMmBOCXuqqxUWKKQ==";
  }
  {
    path = "node_modules/fast-sha256";
    url = "https://registry.npmjs.org/fast-sha256/-/fast-sha256-1.3.0.tgz";
    hash = "sha512-n11RGP/lrWEFI/bWdygLxhI+pVeo1ZYIVwvvPkW7azl/rOy+F3HYRZ2K5zeE9mmkhQppyv9sQFx0JM9UabnpPQ==";
  }
  {
    path = "node_modules/hono";
    url = "https://registry.npmjs.org/hono/-/hono-4.13.19.tgz";
    hash = "sha512-KmXvQAXwcAHV+muzbIwoJ23niEB5nMoDVr9WcRkU8mvjUECm/1+7v4Jgp7P7a+H6MLFrh+vXrGonGrGS+RQfkA==";
  }
  {
    path = "node_modules/js-base64";
    url = "https://registry.npmjs.org/js-base64/-/js-base64-3.9.7.tgz";
    hash = "sha512-UT2XYOCbXOXYoymbytretRDFnb6E6vYPqC1blehA/alnG6vRC0mNTQ6ijXYAPtiCG9o1FDNJXJvQtCwbChFDRQ==";
  }
  {
    path = "node_modules/libsql";
    url = "https://registry.npmjs.org/libsql/-/libsql-0.5.29.tgz";
    hash = "sha512-8lMP8iMgiBzzoNbAPQ59qdVcj6UaE/Vnm+fiwX4doX4Narook0a4GPKWBEv+CR8a1OwbfkgL18uBfBjWdF0Fzg==";
  }
  {
    path = "node_modules/nanoid";
    url = "https://registry.npmjs.org/nanoid/-/nanoid-5.1.16.tgz";
    hash = "sha512-kVrnsrJqMR8+oLJnGEmSWw9BivK5mt7H3FZatVRjrc5wGqFYuBxX1yG7+A7Gi5AefkX6t/oCkizcQgpu0cY1dQ==";
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
    path = "node_modules/standardwebhooks";
    url = "https://registry.npmjs.org/standardwebhooks/-/standardwebhooks-1.3.0.tgz";
    hash = "sha512-5W9skHjqAm2dlA9wWvglTP+oX47JX4lFXVk1aJV7+TG1snvTR4QXaVgPscEzvOw9GRreeavMwbqEeL+MGhZHCg==";
  }
  {
    path = "node_modules/tagged-tag";
    url = "https://registry.npmjs.org/tagged-tag/-/tagged-tag-1.0.0.tgz";
    hash = "sha512-yEFYrVhod+hdNyx7g5Bnkkb0G6si8HJurOoOEgC8B/O0uXLHlaey/65KRv6cuWBNhBgHKAROVpc7QyYqE5gFng==";
  }
  {
    path = "node_modules/tdigest";
    url = "https://registry.npmjs.org/tdigest/-/tdigest-0.1.3.tgz";
    hash = "sha512-zbRt+lT+/H4fRItHshczHErVCQnitJk8MfMT24MqFJf3YL7SJJPqGIGeuOdvxXxM/AHFzKBl7WoyaYwqO9s3Kw==";
  }
  {
    path = "node_modules/undici-types";
    url = "https://registry.npmjs.org/undici-types/-/undici-types-8.9.0.tgz";
    hash = "sha512-KTDyRTYX8sWmKXAikPHHSyc63CRPETMctyjKFupcC6OBLXT3xsN0e9aF7m+mIXutFWpUXuedtowG7iLOzp0kQg==";
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
]
