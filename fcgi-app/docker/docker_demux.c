/* docker_demux.c - Docker's multiplexed log stream: frames of an 8-byte
 * header (stream, 3 zero bytes, big-endian length) and a payload, split
 * into stdout and stderr as they arrive, each kept up to its cap. */
#include "config.h"

#include <string.h>

#include "docker/docker_int.h"

static void demux_keep(struct demux *m, struct buf *b, const char *p,
                       size_t n)
{
    size_t room = 0;

    if (!b)
        return;                     /* the caller discards this stream */
    if (b->len < m->max)
        room = m->max - b->len;
    if (b->max && room > (b->max > b->len ? b->max - b->len : 0))
        room = b->max > b->len ? b->max - b->len : 0;
    if (n > room) {
        m->is_truncated = true;
        n = room;
    }
    if (n)
        buf_append(b, p, n);
}

static bool demux_stream_full(const struct demux *m, const struct buf *b)
{
    return !b || b->len >= m->max || (b->max && b->len >= b->max);
}

/* Feeds n more bytes of the stream.  -1 once a header is malformed. */
int demux_feed(struct demux *m, const char *p, size_t n)
{
    m->raw += n;
    while (n && !m->is_bad) {
        if (m->left) {
            size_t take = n < m->left ? n : m->left;

            demux_keep(m, m->stream == 2 ? m->err : m->out, p, take);
            m->left -= (uint32_t)take;
            p += take;
            n -= take;
            continue;
        }
        m->hdr[m->hlen++] = (unsigned char)*p++;
        n--;
        if (m->hlen < 8)
            continue;
        m->hlen = 0;
        /* 0 is stdin, which Docker documents as written on stdout. */
        if (m->hdr[0] > 2 || m->hdr[1] || m->hdr[2] || m->hdr[3]) {
            m->is_bad = true;
            break;
        }
        m->stream = m->hdr[0] == 2 ? 2 : 1;
        m->left = (uint32_t)m->hdr[4] << 24 | (uint32_t)m->hdr[5] << 16
            | (uint32_t)m->hdr[6] << 8 | (uint32_t)m->hdr[7];
    }
    if (demux_stream_full(m, m->out) && demux_stream_full(m, m->err))
        m->is_full = true;
    return m->is_bad ? -1 : 0;
}

void demux_init(struct demux *m, struct buf *out, struct buf *errout,
                size_t max)
{
    memset(m, 0, sizeof(*m));
    m->out = out;
    m->err = errout;
    m->max = max ? max : DOCKER_LOGS_MAX;
}

/* 0, 1 when something was cut, -1 when malformed. */
int demux_finish(struct demux *m)
{
    if (m->is_bad)
        return -1;
    if (m->hlen || m->left)
        m->is_truncated = true;     /* a final frame cut short */
    return m->is_truncated ? 1 : 0;
}

int docker_demux(const char *p, size_t n, struct buf *out,
                 struct buf *errout, size_t max)
{
    struct demux m;

    demux_init(&m, out, errout, max);
    demux_feed(&m, p, n);
    return demux_finish(&m);
}
