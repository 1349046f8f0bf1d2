import { LOOPBACK_CLIENT, rateLimitClient } from './client-address';

describe('rateLimitClient', () => {
  it('counts every loopback address as one client (finding 6)', () => {
    for (const address of ['127.0.0.1', '127.0.3.7', '127.255.255.254', '::1', '::ffff:127.0.9.9', '0:0:0:0:0:0:0:1', '::FFFF:127.1.2.3'])
      expect(rateLimitClient(address)).toBe(LOOPBACK_CLIENT);
  });

  it('keeps other IPv4 addresses apart, and reads IPv4-mapped IPv6 as IPv4', () => {
    expect(rateLimitClient('192.168.1.20')).toBe('192.168.1.20');
    expect(rateLimitClient('::ffff:192.168.1.20')).toBe('192.168.1.20');
    expect(rateLimitClient('128.0.0.1')).toBe('128.0.0.1');
  });

  it('counts an IPv6 client by its /64', () => {
    expect(rateLimitClient('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitClient('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateLimitClient('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(rateLimitClient('2001:db8:1:3::1')).not.toBe(rateLimitClient('2001:db8:1:2::1'));
  });

  it('names an unknown source', () => {
    expect(rateLimitClient(undefined)).toBe('unknown');
  });
});
