/*
 * dhcpc_raw: DHCP over an AF_PACKET socket, for a client that has no
 * address yet (RFC 2131 section 4.1: it sends from 0.0.0.0 to
 * 255.255.255.255 and must receive replies addressed to an IP it does not
 * own).  The socket is SOCK_DGRAM (the kernel adds and strips the link
 * header), so frames here are IPv4 packets: 20-byte IP header, 8-byte UDP
 * header, DHCP payload.
 *
 * The codec half (build, parse) is pure and unit-tested; the socket half
 * opens the socket with a classic BPF filter (IPv4, UDP, destination port
 * 68) and reads PACKET_AUXDATA so checksums the kernel left partial
 * (TP_STATUS_CSUMNOTREADY: a veth peer with checksum offload) are not
 * mistaken for corruption.
 */
#ifndef LABNET_CLIENTS_DHCPC_RAW_H
#define LABNET_CLIENTS_DHCPC_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCPC_PORT_SERVER 67
#define DHCPC_PORT_CLIENT 68
#define DHCPC_IP_UDP_LEN  28
#define DHCPC_FRAME_MAX   1500

/* RFC 1071 one's-complement sum over buf[0..len) added to sum (not folded). */
uint32_t dhcpc_raw_csum_add(uint32_t sum, const uint8_t *buf, size_t len);
/* Folds a sum and complements it: the value to put in a header. */
uint16_t dhcpc_raw_csum_fold(uint32_t sum);

/*
 * Writes an IPv4/UDP packet (src:68 -> dst:67, TTL 64, DF clear) carrying
 * payload[0..len) into buf[0..cap), with correct IP and UDP checksums.
 * Addresses in network order.  Returns the packet length, or -EMSGSIZE.
 */
int dhcpc_raw_build(uint8_t *buf, size_t cap, uint32_t src, uint32_t dst, const uint8_t *payload,
                    size_t len);

/*
 * Checks a received IPv4 packet pkt[0..len) and finds its UDP payload:
 * version 4, IHL >= 5 within the packet, total length within len (extra
 * link padding is ignored), not a fragment, protocol UDP, destination port
 * 68, source port 67, UDP length within the IP payload, a correct IP header
 * checksum, and a correct UDP checksum unless it is 0 (none sent, RFC 768)
 * or csum_partial (the kernel's TP_STATUS_CSUMNOTREADY: the sender's
 * offload never filled it in).  *payload points into pkt.  Returns 0 or
 * -EBADMSG (-EAGAIN never: a datagram is whole).
 */
int dhcpc_raw_parse(const uint8_t *pkt, size_t len, bool csum_partial, const uint8_t **payload,
                    size_t *plen, uint32_t *src);

/* Opens the packet socket on ifindex (non-blocking, close-on-exec) with
 * the filter and PACKET_AUXDATA.  Returns the fd or -errno. */
int dhcpc_raw_open(int ifindex);

/* Sends payload broadcast (to ff:ff:ff:ff:ff:ff, 255.255.255.255) from
 * src.  Returns 0 or -errno. */
int dhcpc_raw_send(int fd, int ifindex, uint32_t src, const uint8_t *payload, size_t len);

/* Receives one packet into buf and returns its DHCP payload as a slice of
 * buf.  Returns 0, -EAGAIN when nothing is queued, -EBADMSG for a packet
 * to drop, or another -errno. */
int dhcpc_raw_recv(int fd, uint8_t *buf, size_t cap, const uint8_t **payload, size_t *plen,
                   uint32_t *src);

/* A UDP socket bound to 0.0.0.0:68 on the interface (SO_BINDTODEVICE,
 * SO_REUSEADDR, SO_BROADCAST) for unicast to a server once we own an
 * address (RFC 2131 section 4.4.5 renewals, 4.4.6 release).  Replies are
 * read from the packet socket; this one only sends.  Returns fd or -errno. */
int dhcpc_udp_open(const char *ifname);

/* Sends payload to dst:67.  Returns 0 or -errno. */
int dhcpc_udp_send(int fd, uint32_t dst, const uint8_t *payload, size_t len);

#endif
