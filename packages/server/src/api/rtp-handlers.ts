import type { ApiArgs } from './args.js';
import { ApiCode, ApiError, invalidArg } from './codes.js';
import type { ApiRouter } from './router.js';
import { RtpPortError, RtpServerConflictError, type RtpServerManager } from '../rtp/rtp-server-manager.js';
import type { RtpServer, TcpMode, OnlyTrack } from '../rtp/rtp-server.js';
import { validateStreamKeyPart } from '@sluice/core';

const MAX_SSRC = 0xffffffff;

function streamIdArg(args: ApiArgs): string {
  const id = args.string('stream_id');
  const problem = validateStreamKeyPart('stream', id);
  if (problem) throw invalidArg('stream_id', problem);
  return id;
}

function tcpModeArg(args: ApiArgs): TcpMode {
  // enable_tcp is the older name of the same switch (1 = passive TCP).
  if (!args.has('tcp_mode') && args.has('enable_tcp')) return args.bool('enable_tcp', false) ? 1 : 0;
  return args.int('tcp_mode', { default: 0, min: 0, max: 2 }) as TcpMode;
}

export function rtpServerInfo(server: RtpServer): Record<string, unknown> {
  return {
    stream_id: server.spec.streamId,
    port: server.port,
    tcp_mode: server.spec.tcpMode,
    ssrc: server.ssrc,
    only_track: server.spec.onlyTrack,
    state: server.state,
    peer_ip: server.peer?.address ?? null,
    peer_port: server.peer?.port ?? null,
    peer_transport: server.peer?.transport ?? null,
    createStamp: Math.floor(server.createdAt / 1000),
  };
}

/** openRtpServer and friends, all reading one RtpServerManager. */
export function registerRtpApi(router: ApiRouter, rtp: RtpServerManager, bindIp: string): void {
  router.add('openRtpServer', async (args) => {
    const streamId = streamIdArg(args);
    const port = args.int('port', { default: 0, min: 0, max: 65534 });
    if (port !== 0 && port < 1024) throw invalidArg('port', `${port} is a privileged port; use 0 or 1024-65534`);
    const request = {
      streamId,
      port,
      tcpMode: tcpModeArg(args),
      ssrc: args.int('ssrc', { default: 0, min: 0, max: MAX_SSRC }),
      onlyTrack: args.int('only_track', { default: 0, min: 0, max: 2 }) as OnlyTrack,
    };
    // re_use_port is accepted for compatibility: ports come from the pool as exclusive bound sockets.
    args.bool('re_use_port', false);
    try {
      const { server } = await rtp.open(request);
      return { port: server.port };
    } catch (err) {
      if (err instanceof RtpServerConflictError) throw new ApiError(ApiCode.InvalidArgs, err.message, { port: err.existingPort });
      if (err instanceof RtpPortError) throw new ApiError(ApiCode.OtherFailed, err.message);
      throw err;
    }
  });

  router.add('connectRtpServer', async (args) => {
    const streamId = streamIdArg(args);
    const host = args.string('dst_url');
    const dstPort = args.int('dst_port', { min: 1, max: 65535 });
    const server = rtp.get(streamId);
    if (!server) throw new ApiError(ApiCode.NotFound, `no rtp server for stream_id ${streamId}`);
    if (server.spec.tcpMode !== 2) {
      throw invalidArg('stream_id', `rtp server ${streamId} was opened with tcp_mode ${server.spec.tcpMode}, connect needs tcp_mode 2`);
    }
    try {
      await server.connectTo(host, dstPort, args.int('timeout_sec', { default: 5, min: 1, max: 60 }) * 1000);
    } catch (err) {
      throw new ApiError(ApiCode.OtherFailed, `connect to ${host}:${dstPort} failed: ${(err as Error).message}`);
    }
    return {};
  });

  router.add('closeRtpServer', (args) => {
    const streamId = streamIdArg(args);
    return { hit: rtp.close(streamId) ? 1 : 0 };
  });

  router.add('listRtpServer', () => ({ data: rtp.list().map(rtpServerInfo) }));

  router.add('getRtpInfo', (args) => {
    const streamId = streamIdArg(args);
    const server = rtp.get(streamId);
    if (!server) return { exist: false };
    return { exist: true, local_ip: bindIp, local_port: server.port, ...rtpServerInfo(server) };
  });

  router.add('updateRtpServerSSRC', (args) => {
    const streamId = streamIdArg(args);
    const ssrc = args.int('ssrc', { min: 0, max: MAX_SSRC });
    const server = rtp.get(streamId);
    if (!server) throw new ApiError(ApiCode.NotFound, `no rtp server for stream_id ${streamId}`);
    server.setSsrc(ssrc);
    return {};
  });
}
