{
  "targets": [
    {
      "target_name": "runlens_probes",
      "sources": ["probes.c"],
      "cflags": ["-O2", "-ffp-contract=off"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2", "-ffp-contract=off"] }
    }
  ]
}
