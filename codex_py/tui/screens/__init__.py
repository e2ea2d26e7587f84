"""Screens: the chat, the approval modal, onboarding, and a generic picker."""
