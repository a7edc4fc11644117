using System.Security.Cryptography;

namespace Kube.ApiServer.Encryption;

/// <summary>aesgcm: <c>k8s:enc:aesgcm:v1:NAME:</c> + a 12-byte nonce + ciphertext + 16-byte tag, the storage key as authenticated data.</summary>
internal sealed class AesGcmProvider(string name, byte[] key) : IValueProvider
{
    private readonly byte[] _prefix = EncryptionConfiguration.Prefix("aesgcm", name);

    public byte[] Encrypt(byte[] plaintext, byte[] storageKey)
    {
        using var gcm = new AesGcm(key, 16);
        var nonce = EncryptionConfiguration.RandomBytes(12);
        var cipher = new byte[plaintext.Length];
        var tag = new byte[16];
        gcm.Encrypt(nonce, plaintext, cipher, tag, storageKey);
        return EncryptionConfiguration.Concat(_prefix, nonce, cipher, tag);
    }

    public byte[]? TryDecrypt(byte[] stored, byte[] storageKey)
    {
        if (!stored.AsSpan().StartsWith(_prefix)) return null;
        var body = stored.AsSpan(_prefix.Length);
        if (body.Length < 28) throw new CryptographicException("aesgcm: the stored value is too short");
        using var gcm = new AesGcm(key, 16);
        var plain = new byte[body.Length - 28];
        gcm.Decrypt(body[..12], body[12..^16], body[^16..], plain, storageKey);
        return plain;
    }
}
