namespace Kube.Node.Runtime;

/// <summary>A terminal's window size, as upstream's remotecommand sends it on the resize channel (<c>{"Width":W,"Height":H}</c>).</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
public readonly record struct TerminalSize(ushort Width, ushort Height);
