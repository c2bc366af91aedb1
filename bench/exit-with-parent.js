/**
 * Preloaded (`node --import`) into every long-lived server the bench forks: when the bench process goes
 * away — even on SIGKILL — the IPC channel closes and this server exits too. The channel is unref'd, so
 * it never keeps the server alive nor changes how it shuts down otherwise.
 */
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => process.exit(0));
}
