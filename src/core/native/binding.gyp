{
  "targets": [
    {
      "target_name": "runlens_native",
      "sources": ["probes.c", "walk.c", "chunks.c", "tfrecord.c"],
      "cflags": ["-O2", "-ffp-contract=off", "-pthread"],
      "ldflags": ["-pthread"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2", "-ffp-contract=off"] }
    }
  ]
}
