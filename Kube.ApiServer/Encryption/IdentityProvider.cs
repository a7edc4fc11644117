namespace Kube.ApiServer.Encryption;

/// <summary>No encryption: writes plaintext, reads values without a <c>k8s:enc:</c> prefix.</summary>
internal sealed class IdentityProvider : IValueProvider
{
    private static readonly byte[] EncPrefix = "k8s:enc:"u8.ToArray();

    public byte[] Encrypt(byte[] plaintext, byte[] storageKey) => plaintext;

    public byte[]? TryDecrypt(byte[] stored, byte[] storageKey) => stored.AsSpan().StartsWith(EncPrefix) ? null : stored;
}
