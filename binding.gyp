{
  "targets": [
    {
      "target_name": "bpf_addon",
      "sources": [
        "native/src/addon.cc",
        "native/src/errors.cc",
        "native/src/object.cc",
        "native/src/elf_check.cc",
        "native/src/map.cc",
        "native/src/link.cc",
        "native/src/ringbuf.cc",
        "native/src/tracepipe.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wno-missing-field-initializers", "<!@(pkg-config --cflags libbpf)"],
      "libraries": ["<!@(pkg-config --libs libbpf)", "-lelf", "-lz"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"]
    }
  ]
}
