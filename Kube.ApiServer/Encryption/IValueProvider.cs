namespace Kube.ApiServer.Encryption;

/// <summary>One provider of an <see cref="EncryptionConfiguration"/>: encrypts to, and decrypts values with, its prefix.</summary>
internal interface IValueProvider
{
    byte[] Encrypt(byte[] plaintext, byte[] storageKey);

    /// <summary>The plaintext, or null when the value is not this provider's (another prefix).</summary>
    byte[]? TryDecrypt(byte[] stored, byte[] storageKey);
}
