{
  "targets": [
    {
      "target_name": "caro_cache",
      "sources": ["native/lru_core.cc", "native/binding.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "CARO_SOURCE_HASH=<!(node scripts/source-hash.mjs)"
      ],
      "cflags_cc": ["-std=c++17", "-O3"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17"] }
      }
    }
  ]
}
