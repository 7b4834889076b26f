namespace LlmProxy.Configuration;

/// <summary>LOG_FORMAT (docs/configuration.md): how log lines are written to stdout.</summary>
internal enum LogFormat
{
    /// <summary>Text when stdout is a terminal (a person is reading), JSON lines otherwise (a collector is).</summary>
    Auto,

    /// <summary>One JSON object per line: timestamp, level, category, message and the structured fields.</summary>
    Json,

    /// <summary>One human-readable line per entry, with a UTC timestamp.</summary>
    Text,
}
