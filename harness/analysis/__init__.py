"""Analysis of a call's network capture: media per direction, loss, jitter, gaps, answer→media, a verdict.

    analysis = analyze_pcap(path)                 # tshark -T fields, fast on large captures
    apply_analysis(analysis, record)              # CallRecord: extra["media"], answer_to_media, stage
    pyshark_analysis(path)                        # the same figures via pyshark per packet (cross-check)
"""

from harness.analysis.media import STAGE_NO_MEDIA, STAGE_ONE_WAY, VERDICT_OK, MediaAnalysis, analyze_pcap, analyze_rows
from harness.analysis.record import answer_to_media_ms, apply_analysis
from harness.analysis.tshark import TsharkError, find_tshark

__all__ = ["STAGE_NO_MEDIA", "STAGE_ONE_WAY", "VERDICT_OK", "MediaAnalysis", "TsharkError", "analyze_pcap",
           "analyze_rows", "answer_to_media_ms", "apply_analysis", "find_tshark"]
