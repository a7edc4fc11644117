using Kube.Store.Mvcc;
using Microsoft.Extensions.Time.Testing;

namespace Kube.Store.Tests.Mvcc;

/// <summary>Applies commands to an <see cref="MvccState"/> as the log would: encoded, at consecutive indexes.</summary>
internal sealed class MvccStateDriver
{
    private ulong _index;

    public static MvccState NewState() => new(new FakeTimeProvider(), 1, 2, 16);

    public object Apply(MvccState state, StoreCommand command) => state.Apply(++_index, 1, CommandCodec.Encode(command));
}
