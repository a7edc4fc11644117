using System.Security.Cryptography;

namespace Kube.ApiServer.Encryption;

/// <summary>aescbc: <c>k8s:enc:aescbc:v1:NAME:</c> + a 16-byte IV + AES-CBC ciphertext with PKCS#7 padding.</summary>
internal sealed class AesCbcProvider(string name, byte[] key) : IValueProvider
{
    private readonly byte[] _prefix = EncryptionConfiguration.Prefix("aescbc", name);

    public byte[] Encrypt(byte[] plaintext, byte[] storageKey)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        var iv = EncryptionConfiguration.RandomBytes(16);
        return EncryptionConfiguration.Concat(_prefix, iv, aes.EncryptCbc(plaintext, iv, PaddingMode.PKCS7));
    }

    public byte[]? TryDecrypt(byte[] stored, byte[] storageKey)
    {
        if (!stored.AsSpan().StartsWith(_prefix)) return null;
        var body = stored.AsSpan(_prefix.Length);
        if (body.Length < 32 || body.Length % 16 != 0) throw new CryptographicException("aescbc: the stored value is too short");
        using var aes = Aes.Create();
        aes.Key = key;
        return aes.DecryptCbc(body[16..], body[..16], PaddingMode.PKCS7);
    }
}
