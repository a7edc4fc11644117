using System.Text;
using Kube.Store;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Store.Tests;

/// <summary>A temporary data directory and helpers to open real stores on it.</summary>
internal sealed class StoreTestContext : IAsyncDisposable
{
    private readonly List<EmbeddedStore> _open = [];

    public StoreTestContext()
    {
        DataDir = Path.Combine(Path.GetTempPath(), "kube-store-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDir);
    }

    public string DataDir { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public StoreOptions Options(Action<StoreOptions>? configure = null)
    {
        var options = new StoreOptions { DataDir = DataDir };
        configure?.Invoke(options);
        return options;
    }

    public async Task<EmbeddedStore> OpenAsync(Action<StoreOptions>? configure = null, bool fakeTime = false)
    {
        var store = await EmbeddedStore.OpenAsync(Options(configure), fakeTime ? Time : TimeProvider.System);
        _open.Add(store);
        return store;
    }

    public async Task CloseAsync(EmbeddedStore store)
    {
        _open.Remove(store);
        await store.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _open)
        {
            await store.DisposeAsync();
        }
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string S(byte[] b) => Encoding.UTF8.GetString(b);

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (await condition())
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what ?? "the condition"}.");
            }
            await Task.Delay(10);
        }
    }
}
