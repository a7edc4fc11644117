using System.Security.Cryptography;

namespace Kube.ApiServer.Encryption;

/// <summary>
/// secretbox: <c>k8s:enc:secretbox:v1:NAME:</c> + a random 24-byte nonce + the NaCl secretbox (XSalsa20-Poly1305; the
/// 16-byte Poly1305 tag, then the ciphertext) under a 32-byte key, as upstream (which seals with Go's
/// golang.org/x/crypto/nacl/secretbox; no authenticated data). The cipher is libsodium's, through Sodium.Core.
/// </summary>
internal sealed class SecretboxProvider : IValueProvider
{
    private const int NonceSize = 24;
    private const int TagSize = 16;
    private readonly byte[] _prefix;
    private readonly byte[] _key;

    public SecretboxProvider(string name, byte[] key)
    {
        if (key.Length != 32) throw new ArgumentException("a secretbox key is 32 bytes", nameof(key));
        _prefix = EncryptionConfiguration.Prefix("secretbox", name);
        _key = key;
    }

    public byte[] Encrypt(byte[] plaintext, byte[] storageKey)
    {
        var nonce = EncryptionConfiguration.RandomBytes(NonceSize);
        return EncryptionConfiguration.Concat(_prefix, nonce, Sodium.SecretBox.Create(plaintext, nonce, _key));
    }

    public byte[]? TryDecrypt(byte[] stored, byte[] storageKey)
    {
        if (!stored.AsSpan().StartsWith(_prefix)) return null;
        var body = stored.AsSpan(_prefix.Length);
        if (body.Length < NonceSize + TagSize) throw new CryptographicException("secretbox: the stored value is too short");
        // Sodium.Core signals a failed Poly1305 check with its own exception type; callers expect a CryptographicException
        try
        {
            return Sodium.SecretBox.Open(body[NonceSize..].ToArray(), body[..NonceSize].ToArray(), _key);
        }
        catch (Exception e) when (e is not CryptographicException and not OutOfMemoryException)
        {
            throw new CryptographicException("secretbox: the stored value failed authentication", e);
        }
    }
}
