#!/usr/bin/python3
"""A throwaway RTSP camera for end-to-end tests: GStreamer's gst-rtsp-server.

Run with /usr/bin/python3 (python3-gi, gir1.2-gst-rtsp-server-1.0 and the GStreamer
plugin packages listed in test/helpers/gst-rtsp-server.ts). Listens on 127.0.0.1 only.

Mounts (live test sources, each client gets its own pipeline unless --shared):
  /h264        videotestsrc ! x264enc ! rtph264pay pt=96  +  audiotestsrc ! AAC ! rtpmp4gpay pt=97
  /h264-video  the same video alone
  /h265        videotestsrc ! x265enc ! rtph265pay pt=96
  /g711        audiotestsrc ! alawenc ! rtppcmapay pt=8
  /pcmu        audiotestsrc ! mulawenc ! rtppcmupay pt=0
Video is 320x240 at 25 fps, a keyframe every 25 frames, SPS/PPS (VPS) before every
IDR (config-interval=-1); audio a 440 Hz sine (AAC 44100 Hz mono, G.711 8000 Hz).

Prints "READY <port>" once listening, and one line per RTSP response it sends:
  "RESPONSE <status> cseq=<n> <reason>"  (tests count requests and 401s from these).
"""
import argparse
import signal
import sys

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtsp', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

VIDEO_RAW = 'videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=25/1'
AUDIO_RAW = 'audiotestsrc is-live=true wave=sine freq=440'


def aac_encoder():
    # avenc_aac (gstreamer1.0-libav) is the one Debian ships in every variant; voaacenc (plugins-bad) as a fallback.
    for name in ('avenc_aac', 'voaacenc'):
        if Gst.ElementFactory.find(name) is not None:
            return name
    raise RuntimeError('no AAC encoder (install gstreamer1.0-libav)')


def launch_lines(mtu):
    aac = aac_encoder()
    pay = f'mtu={mtu}'
    return {
        '/h264': (
            f'( {VIDEO_RAW} ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=400 '
            f'! rtph264pay name=pay0 pt=96 config-interval=-1 {pay} '
            f'{AUDIO_RAW} ! audio/x-raw,rate=44100,channels=1 ! audioconvert ! {aac} '
            f'! rtpmp4gpay name=pay1 pt=97 {pay} )'
        ),
        '/h264-video': (
            f'( {VIDEO_RAW} ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=400 '
            f'! rtph264pay name=pay0 pt=96 config-interval=-1 {pay} )'
        ),
        '/h265': (
            f'( {VIDEO_RAW} ! x265enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=400 '
            f'! video/x-h265,profile=main ! rtph265pay name=pay0 pt=96 config-interval=-1 {pay} )'
        ),
        '/g711': f'( {AUDIO_RAW} ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay0 pt=8 {pay} )',
        '/pcmu': f'( {AUDIO_RAW} ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay0 pt=0 {pay} )',
    }


def on_send_message(_client, _ctx, message):
    # One line per response: tests count requests (and 401s) from them. The context
    # argument does not survive introspection (GLib warns once); the message does.
    try:
        code = int(message.parse_response()[1])
        _r, cseq = message.get_header(GstRtsp.RTSPHeaderField.CSEQ, 0)
        print(f'RESPONSE {code} cseq={cseq} {GstRtsp.rtsp_status_as_text(code)}', flush=True)
    except Exception as err:  # noqa: BLE001 - only the log line is lost
        print(f'RESPONSE ? ({err})', flush=True)


def on_client_connected(_server, client):
    client.connect('send-message', on_send_message)
    print('CLIENT CONNECTED', flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--auth', choices=['none', 'basic', 'digest'], default='none')
    parser.add_argument('--user', default='user')
    parser.add_argument('--password', default='password')
    parser.add_argument('--shared', action='store_true', help='one pipeline per mount for all clients')
    parser.add_argument('--protocols', choices=['tcp', 'udp', 'both'], default='both')
    parser.add_argument('--mtu', type=int, default=1400)
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address('127.0.0.1')
    server.set_service(str(args.port))
    server.connect('client-connected', on_client_connected)

    protocols = {
        'tcp': GstRtsp.RTSPLowerTrans.TCP,
        'udp': GstRtsp.RTSPLowerTrans.UDP,
        'both': GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP,
    }[args.protocols]

    mounts = server.get_mount_points()
    for path, line in launch_lines(args.mtu).items():
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(line)
        factory.set_shared(args.shared)
        factory.set_protocols(protocols)
        if args.auth != 'none':
            # Only the role our token carries may see and build the media.
            factory.add_role_from_structure(
                Gst.Structure.from_string(
                    'user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true'
                )[0]
            )
        mounts.add_factory(path, factory)

    if args.auth != 'none':
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string('media.factory.role', 'user')
        if args.auth == 'basic':
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        else:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(args.user, args.password, token)
        server.set_auth(auth)

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print(f'FAILED to listen on 127.0.0.1:{args.port}', flush=True)
        sys.exit(3)

    def quit_loop(*_a):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, quit_loop)
    print(f'READY {args.port} auth={args.auth} aac={aac_encoder()}', flush=True)
    loop.run()


if __name__ == '__main__':
    main()
