{
  "variables": {
    "with_xdp%": "<!(node tools/probe-xdp.js)"
  },
  "targets": [
    {
      "target_name": "director_native",
      "sources": [
        "<!@(node tools/list-sources.js native/core native/io native/addon)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti"],
      "cflags!": ["-fno-exceptions"],
      "conditions": [
        ["with_xdp==1", {
          "defines": ["DIRECTOR_WITH_XDP"],
          "libraries": ["-lxdp", "-lbpf"]
        }]
      ]
    }
  ]
}
