using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kube.Core.Net;

/// <summary>An IPv4 prefix such as 127.1.0.0/24, with arithmetic on host offsets.</summary>
public readonly record struct Ipv4Cidr(uint Network, int PrefixLength)
{
    public ulong Size => 1UL << (32 - PrefixLength);

    public static Ipv4Cidr Parse(string text)
    {
        if (!TryParse(text, out var cidr))
        {
            throw new FormatException($"\"{text}\" is not an IPv4 CIDR such as 127.1.0.0/24");
        }

        return cidr;
    }

    public static bool TryParse(string? text, out Ipv4Cidr cidr)
    {
        cidr = default;
        var slash = text?.IndexOf('/') ?? -1;
        if (text is null || slash < 0
            || !IPAddress.TryParse(text[..slash], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix is < 1 or > 30)
        {
            return false;
        }

        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        cidr = new Ipv4Cidr(ToUInt(ip) & mask, prefix);
        return true;
    }

    public bool Contains(IPAddress ip) =>
        ip.AddressFamily == AddressFamily.InterNetwork && (ToUInt(ip) - Network) < Size;

    public IPAddress At(ulong offset) => FromUInt((uint)(Network + offset));

    public ulong OffsetOf(IPAddress ip) => ToUInt(ip) - Network;

    public static uint ToUInt(IPAddress ip) => BinaryPrimitives.ReadUInt32BigEndian(ip.GetAddressBytes());

    public static IPAddress FromUInt(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    public override string ToString() => $"{FromUInt(Network)}/{PrefixLength}";
}
